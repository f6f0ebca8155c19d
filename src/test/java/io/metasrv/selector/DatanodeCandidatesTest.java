package io.metasrv.selector;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.LeaseValue;
import io.metasrv.kv.Bytes;
import java.util.Random;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class DatanodeCandidatesTest {
  private static final long NOW = 1_700_000_000_000L;
  private final ClusterView view = new ClusterView();

  @Test
  void aliveDatanodesWithTheRegionCountOfTheirLastStat() {
    lease(1, NOW - 9_999, "10.0.0.1:4001");
    lease(2, NOW - 10_000, "10.0.0.2:4001");
    lease(3, NOW - 1, "10.0.0.3:4001");
    view.kv().put(ClusterKeys.datanodeStat(1), Bytes.utf8("[" + stat(1, 5) + "," + stat(1, 7)
        + "]"));
    view.kv().put(ClusterKeys.datanodeStat(2), Bytes.utf8("[" + stat(2, 1) + "]"));

    assertThat(DatanodeCandidates.aliveWithRegionCounts(view, () -> NOW))
        .containsExactlyInAnyOrder(
        SelectorCandidate.withRegionCount(1, "10.0.0.1:4001", 7),
        SelectorCandidate.of(3, "10.0.0.3:4001"));
  }

  @Test
  void noAliveDatanodeMeansNoCandidate() {
    lease(1, NOW - 60_000, "10.0.0.1:4001");
    assertThat(DatanodeCandidates.aliveWithRegionCounts(view, () -> NOW)).isEmpty();
  }

  @Test
  void theClockIsReadAfterTheLeases() {
    lease(1, NOW - 1_000, "10.0.0.1:4001");
    // A heartbeat renews datanode 1's lease right after the clock is read. Had the leases been
    // read after the clock, that renewal would look as if from the future, and GreptimeDB's alive
    // test refuses those: a datanode heartbeating normally would drop out of the candidates.
    LongSupplier clockThenRenewal = () -> {
      long now = NOW;
      lease(1, NOW + 5, "10.0.0.1:4001");
      return now;
    };
    assertThat(DatanodeCandidates.aliveWithRegionCounts(view, clockThenRenewal))
        .extracting(SelectorCandidate::nodeId).containsExactly(1L);
  }

  @Test
  void onlyASelectorThatWeighsRegionCountsGetsThem() {
    lease(1, NOW - 1, "10.0.0.1:4001");
    view.kv().put(ClusterKeys.datanodeStat(1), Bytes.utf8("[" + stat(1, 5) + "]"));

    assertThat(DatanodeCandidates.alive(view, () -> NOW, new LoadBasedSelector(new Random(1))))
        .containsExactly(SelectorCandidate.withRegionCount(1, "10.0.0.1:4001", 5));
    assertThat(DatanodeCandidates.alive(view, () -> NOW,
        new RoundRobinSelector(SelectTarget.DATANODE)))
        .containsExactly(SelectorCandidate.of(1, "10.0.0.1:4001"));
  }

  private void lease(long id, long renewedAt, String addr) {
    view.kv().put(ClusterKeys.datanodeLease(id), new LeaseValue(renewedAt, addr).encode());
  }

  private static String stat(long id, long regions) {
    return "{\"timestamp_millis\":1,\"id\":" + id + ",\"addr\":\"a\",\"rcus\":0,\"wcus\":0,"
        + "\"region_num\":" + regions + ",\"region_stats\":[],\"node_epoch\":1}";
  }
}
