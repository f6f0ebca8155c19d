package io.metasrv.selector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Weighted random selection as GreptimeDB's {@code choose_items} does it: one weighted pick
 * when one node is required; otherwise a weighted sample without replacement, and when
 * duplication is allowed and more are required than exist, as many weighted orderings of all
 * nodes as fit, then a sample for the rest.
 */
final class WeightedChoice {

  /** A candidate and its weight, which must be positive. */
  record Weighted(SelectorCandidate candidate, double weight) {}

  private WeightedChoice() {}

  static List<SelectorCandidate> choose(List<Weighted> items, SelectorOptions options,
      Random random) {
    int required = options.minRequiredItems();
    int available = items.size();
    if (available == 0) {
      throw new NoEnoughAvailableNodeException(SelectTarget.DATANODE, required, 0);
    }
    if (required == 1) {
      return List.of(chooseOne(items, random));
    }
    if (!options.allowDuplication()) {
      if (available < required) {
        throw new NoEnoughAvailableNodeException(SelectTarget.DATANODE, required, available);
      }
      return sample(items, required, random);
    }
    List<SelectorCandidate> chosen = new ArrayList<>(required);
    for (int round = 0; round < required / available; round++) {
      chosen.addAll(sample(items, available, random));
    }
    chosen.addAll(sample(items, required % available, random));
    return chosen;
  }

  /** One candidate, each with probability weight / total weight. */
  private static SelectorCandidate chooseOne(List<Weighted> items, Random random) {
    double total = items.stream().mapToDouble(Weighted::weight).sum();
    double point = random.nextDouble() * total;
    for (Weighted item : items) {
      point -= item.weight();
      if (point < 0) {
        return item.candidate();
      }
    }
    return items.get(items.size() - 1).candidate(); // rounding left the point at the very end
  }

  /**
   * {@code count} distinct candidates, drawn one after another with probability proportional to
   * weight among those not yet drawn (Efraimidis and Spirakis: the largest keys
   * {@code log(u) / weight}).
   */
  private static List<SelectorCandidate> sample(List<Weighted> items, int count,
      Random random) {
    record Keyed(SelectorCandidate candidate, double key) {}
    List<Keyed> keyed = new ArrayList<>(items.size());
    for (Weighted item : items) {
      keyed.add(new Keyed(item.candidate(), Math.log(1.0 - random.nextDouble()) / item.weight()));
    }
    keyed.sort(Comparator.comparingDouble(Keyed::key).reversed());
    return keyed.subList(0, count).stream().map(Keyed::candidate).toList();
  }
}
