package io.metasrv.selector;

import java.util.HashSet;
import java.util.Set;

/**
 * What a caller asks of a selector.
 *
 * @param minRequiredItems how many nodes to return (table creation: one per region; failover: 1)
 * @param allowDuplication whether a node may be returned more than once when there are fewer
 *     candidates than required; without it too few candidates is an error
 * @param excludedNodeIds nodes never to return (for example the failed node in a failover)
 */
public record SelectorOptions(int minRequiredItems, boolean allowDuplication,
    Set<Long> excludedNodeIds) {

  public SelectorOptions {
    if (minRequiredItems < 1) {
      throw new IllegalArgumentException("min_required_items must be at least 1, got "
          + minRequiredItems);
    }
    excludedNodeIds = Set.copyOf(excludedNodeIds);
  }

  /** {@code count} distinct nodes, none excluded. */
  public static SelectorOptions distinct(int count) {
    return new SelectorOptions(count, false, Set.of());
  }

  /** {@code count} nodes, repeating nodes when there are fewer, none excluded. */
  public static SelectorOptions withDuplicates(int count) {
    return new SelectorOptions(count, true, Set.of());
  }

  /** The same request, also excluding {@code nodeId}. */
  public SelectorOptions excluding(long nodeId) {
    Set<Long> excluded = new HashSet<>(excludedNodeIds);
    excluded.add(nodeId);
    return new SelectorOptions(minRequiredItems, allowDuplication, excluded);
  }
}
