package io.metasrv.selector;

import java.util.OptionalLong;

/**
 * An alive node a selector may choose.
 *
 * @param nodeId the node's id
 * @param addr the address the node registered with its lease
 * @param regionCount the number of regions in the node's latest stat, empty when the leader has
 *     no stat from it yet ({@code load_based} skips such nodes)
 */
public record SelectorCandidate(long nodeId, String addr, OptionalLong regionCount) {

  /** A node whose load is not known. */
  public static SelectorCandidate of(long nodeId, String addr) {
    return new SelectorCandidate(nodeId, addr, OptionalLong.empty());
  }

  /** A node with the region count of its latest stat. */
  public static SelectorCandidate withRegionCount(long nodeId, String addr, long regionCount) {
    return new SelectorCandidate(nodeId, addr, OptionalLong.of(regionCount));
  }
}
