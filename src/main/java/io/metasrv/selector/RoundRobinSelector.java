package io.metasrv.selector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out the candidates in node id order, one after another, carrying on where the previous
 * selection stopped; the selector GreptimeDB uses by default, and always for flownodes.
 *
 * <p>GreptimeDB repeats nodes whenever fewer exist than required, even when duplication was not
 * allowed; here that case fails with {@link NoEnoughAvailableNodeException}, as with the other
 * selectors. (No GreptimeDB caller asks for several distinct nodes, so this changes no outcome.)
 */
public final class RoundRobinSelector implements Selector {
  private final SelectTarget target;
  private final AtomicLong counter = new AtomicLong();

  public RoundRobinSelector(SelectTarget target) {
    this.target = target;
  }

  @Override
  public List<SelectorCandidate> select(List<SelectorCandidate> candidates,
      SelectorOptions options) {
    List<SelectorCandidate> peers = candidates.stream()
        .filter(c -> !options.excludedNodeIds().contains(c.nodeId()))
        .sorted(Comparator.comparingLong(SelectorCandidate::nodeId))
        .toList();
    int required = options.minRequiredItems();
    if (peers.isEmpty() || (!options.allowDuplication() && peers.size() < required)) {
      throw new NoEnoughAvailableNodeException(target, required, peers.size());
    }
    List<SelectorCandidate> selected = new ArrayList<>(required);
    for (int i = 0; i < required; i++) {
      selected.add(peers.get((int) Math.floorMod(counter.getAndIncrement(), peers.size())));
    }
    return selected;
  }
}
