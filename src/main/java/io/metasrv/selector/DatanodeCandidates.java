package io.metasrv.selector;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.Stat;
import io.metasrv.kv.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The datanodes a selector may choose from, read off the leader's view as GreptimeDB's
 * selectors read them: the datanodes alive now (lease renewed within 10 s), addressed as their
 * lease says, each with the region count of its last stored stat when there is one and the
 * selector weighs region counts (decoding every datanode's stats costs more, the more regions
 * the cluster has, and the other selectors never look at them).
 */
public final class DatanodeCandidates {
  private DatanodeCandidates() {}

  /**
   * The candidates for {@code selector}: {@link #aliveWithRegionCounts} when it weighs region
   * counts, else the alive datanodes alone.
   */
  public static List<SelectorCandidate> alive(ClusterView view, LongSupplier clockMillis,
      Selector selector) {
    if (selector.weighsRegionCounts()) {
      return aliveWithRegionCounts(view, clockMillis);
    }
    return view.aliveDatanodes(clockMillis).stream()
        .map(node -> SelectorCandidate.of(node.nodeId(), node.lease().nodeAddr())).toList();
  }

  /**
   * @param clockMillis the leader's clock, read after the leases, as {@link
   *     ClusterView#aliveDatanodes} reads it
   */
  public static List<SelectorCandidate> aliveWithRegionCounts(ClusterView view,
      LongSupplier clockMillis) {
    List<ClusterView.NodeLease> alive = view.aliveDatanodes(clockMillis);
    if (alive.isEmpty()) {
      return List.of();
    }
    List<byte[]> statKeys = alive.stream()
        .map(node -> ClusterKeys.datanodeStat(node.nodeId())).toList();
    Map<Long, Long> regionCounts = view.kv().batchGet(statKeys).stream()
        .map(DatanodeCandidates::lastStat)
        .flatMap(List::stream)
        .collect(Collectors.toMap(Stat::id, Stat::regionNum, (a, b) -> b));
    List<SelectorCandidate> candidates = new ArrayList<>(alive.size());
    for (ClusterView.NodeLease node : alive) {
      Long regions = regionCounts.get(node.nodeId());
      String addr = node.lease().nodeAddr();
      candidates.add(regions == null ? SelectorCandidate.of(node.nodeId(), addr)
          : SelectorCandidate.withRegionCount(node.nodeId(), addr, regions));
    }
    return candidates;
  }

  /** The newest stat of a stored array, as GreptimeDB's load-based selector takes it. */
  private static List<Stat> lastStat(KeyValue entry) {
    List<Stat> stats = Stat.decodeAll(entry.value());
    return stats.isEmpty() ? List.of() : List.of(stats.get(stats.size() - 1));
  }
}
