package io.metasrv.selector;

import java.util.List;
import java.util.Random;

/** Chooses among the alive datanodes at random, each equally likely. */
public final class LeaseBasedSelector implements Selector {
  private final Random random;

  public LeaseBasedSelector(Random random) {
    this.random = random;
  }

  @Override
  public List<SelectorCandidate> select(List<SelectorCandidate> candidates,
      SelectorOptions options) {
    List<WeightedChoice.Weighted> weighted = candidates.stream()
        .filter(c -> !options.excludedNodeIds().contains(c.nodeId()))
        .map(c -> new WeightedChoice.Weighted(c, 1.0))
        .toList();
    return WeightedChoice.choose(weighted, options, random);
  }
}
