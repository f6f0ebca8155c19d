package io.metasrv.selector;

import java.util.List;
import java.util.Random;

/**
 * Chooses among the alive datanodes at random, favouring those with fewer regions, with
 * GreptimeDB's weights ({@code weight_compute.rs}): with {@code max} and {@code min} the largest
 * and smallest region counts and {@code base = max - min} (1 when all are equal), a node with
 * {@code n} regions weighs {@code max - n + base}. A node without a stat is not chosen.
 */
public final class LoadBasedSelector implements Selector {
  private final Random random;

  public LoadBasedSelector(Random random) {
    this.random = random;
  }

  @Override
  public boolean weighsRegionCounts() {
    return true;
  }

  @Override
  public List<SelectorCandidate> select(List<SelectorCandidate> candidates,
      SelectorOptions options) {
    List<SelectorCandidate> withStats = candidates.stream()
        .filter(c -> !options.excludedNodeIds().contains(c.nodeId()))
        .filter(c -> c.regionCount().isPresent())
        .toList();
    long max = withStats.stream().mapToLong(c -> c.regionCount().getAsLong()).max().orElse(0);
    long min = withStats.stream().mapToLong(c -> c.regionCount().getAsLong()).min().orElse(0);
    long base = max == min ? 1 : max - min;
    List<WeightedChoice.Weighted> weighted = withStats.stream()
        .map(c -> new WeightedChoice.Weighted(c,
            (double) (max - c.regionCount().getAsLong() + base)))
        .toList();
    return WeightedChoice.choose(weighted, options, random);
  }
}
