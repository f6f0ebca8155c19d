package io.metasrv.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.Role;
import io.metasrv.server.MetasrvServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulated GreptimeDB nodes against a fake metasrv written here (so that every answer is
 * under the test's control) and once against the real server; lease arithmetic on a fake clock.
 */
class SimulatedDatanodeTest {
  private static final long REGION_A = SimulatedDatanode.regionId(1024, 1);
  private static final long REGION_B = SimulatedDatanode.regionId(1024, 2);
  private static final Duration INTERVAL = Duration.ofSeconds(3);

  private final FakeMonotonicClock clock = new FakeMonotonicClock();

  @TempDir Path dir;

  @Test
  void connectsAsGreptimeDbDoesAndReportsItsRegions() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      SimulatedDatanode datanode = nodes.datanode(7, "127.0.0.1:4001")
          .withManualHeartbeats()
          .withRegion(REGION_A, RegionRole.Leader);
      datanode.setRegionStatistic(REGION_A, new RegionStatistic(10, 20, 30, 40, 50, 60, 3));

      assertThat(datanode.start().get(10, TimeUnit.SECONDS)).isEqualTo(metasrv.addr);
      HeartbeatRequest handshake = metasrv.nextRequest();
      assertThat(handshake).isEqualTo(HeartbeatRequest.newBuilder()
          .setHeader(datanode.header()).build());
      assertThat(handshake.getHeader().getProtocolVersion()).isEqualTo(1);
      assertThat(handshake.getHeader().getMemberId()).isEqualTo(7);
      assertThat(handshake.getHeader().getRole()).isEqualTo(Role.DATANODE);

      clock.advance(Duration.ofMillis(1500));
      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      HeartbeatRequest stat = metasrv.nextRequest();
      assertThat(stat.getPeer().getId()).isEqualTo(7);
      assertThat(stat.getPeer().getAddr()).isEqualTo("127.0.0.1:4001");
      assertThat(stat.getDurationSinceEpoch()).isEqualTo(1500);
      assertThat(stat.getNodeEpoch()).isPositive();
      assertThat(stat.getInfo().getStartTimeMs()).isEqualTo(stat.getNodeEpoch());
      assertThat(stat.getRegionStatsList()).hasSize(1);
      RegionStat region = stat.getRegionStats(0);
      assertThat(region.getRegionId()).isEqualTo(4398046511105L);
      assertThat(region.getEngine()).isEqualTo("mito2");
      assertThat(region.getRole()).isEqualTo(RegionRole.Leader);
      assertThat(region.getApproximateBytes()).isEqualTo(30 + 40 + 50 + 60);
      assertThat(region.getExtensionsMap().get("__region_statistic").toStringUtf8())
          .isEqualTo("{\"num_rows\":10,\"memtable_size\":20,\"wal_size\":30,"
              + "\"manifest_size\":40,\"sst_size\":50,\"index_size\":60,"
              + "\"manifest_version\":3}");
      assertThat(metasrv.requestEncodings).allMatch("zstd"::equals).isNotEmpty();
    }
  }

  @Test
  void aRegionWhoseLeaseLapsesBecomesReadOnly() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      metasrv.answers = grant(Map.of(REGION_B, RegionRole.Leader), List.of());
      SimulatedDatanode datanode = nodes.datanode(1, "127.0.0.1:4001")
          .withHeartbeatInterval(INTERVAL)
          .withManualHeartbeats()
          .withRegion(REGION_A, RegionRole.Leader)
          .withRegion(REGION_B, RegionRole.Follower);
      datanode.start().get(10, TimeUnit.SECONDS);
      long started = clock.nanoTime();

      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(datanode.role(REGION_B)).contains(RegionRole.Leader);
      clock.advance(Duration.ofSeconds(5));
      datanode.heartbeatNow().get(10, TimeUnit.SECONDS); // lease now ends at 5 s + 10 s

      clock.advance(Duration.ofMillis(6999));
      // A was never granted: its first countdown (4 intervals) is not over yet.
      assertThat(datanode.isWritable(REGION_A)).isTrue();
      clock.advance(Duration.ofMillis(1));
      assertThat(datanode.isWritable(REGION_A)).isFalse();
      assertThat(datanode.role(REGION_A)).contains(RegionRole.Follower);
      assertThat(datanode.isWritable(REGION_B)).isTrue();

      clock.advance(Duration.ofMillis(2999));
      assertThat(datanode.isWritable(REGION_B)).isTrue();
      clock.advance(Duration.ofMillis(1));
      assertThat(datanode.isWritable(REGION_B)).isFalse();
      assertThat(datanode.isOpen(REGION_B)).isTrue();
      assertThat(datanode.writableIntervals(REGION_B)).containsExactly(new WritableInterval(
          started, started + Duration.ofSeconds(15).toNanos()));

      clock.advance(Duration.ofSeconds(4));
      assertThat(datanode.longestLeaseGap(REGION_B)).isEqualTo(Duration.ofSeconds(4));
      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(datanode.isWritable(REGION_B)).isTrue();
      clock.advance(Duration.ofSeconds(1));
      assertThat(datanode.longestLeaseGap(REGION_B)).isEqualTo(Duration.ofSeconds(4));
      HeartbeatRequest last = metasrv.lastRequest();
      assertThat(last.getRegionStatsList())
          .extracting(RegionStat::getRegionId, RegionStat::getRole)
          .containsExactlyInAnyOrder(
              tuple(REGION_A, RegionRole.Follower),
              tuple(REGION_B, RegionRole.Follower));
    }
  }

  @Test
  void closeableRegionsAreClosedAndNoLongerReported() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      metasrv.answers = grant(Map.of(REGION_A, RegionRole.Leader), List.of(REGION_B));
      SimulatedDatanode datanode = nodes.datanode(1, "127.0.0.1:4001")
          .withManualHeartbeats()
          .withRegion(REGION_A, RegionRole.Leader)
          .withRegion(REGION_B, RegionRole.Leader);
      datanode.start().get(10, TimeUnit.SECONDS);

      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(datanode.openRegions()).containsExactly(REGION_A);
      assertThat(datanode.isWritable(REGION_B)).isFalse();
      assertThat(datanode.role(REGION_B)).isEmpty();

      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(metasrv.lastRequest().getRegionStatsList())
          .extracting(RegionStat::getRegionId).containsExactly(REGION_A);
    }
  }

  @Test
  void notLeaderMakesItAskForTheLeaderAndReconnect() throws Exception {
    try (FakeHeartbeatServer first = new FakeHeartbeatServer();
        FakeHeartbeatServer second = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(second.addr, first.addr), clock)) {
      second.leading = false;
      second.leader = first.addr;
      SimulatedDatanode datanode = nodes.datanode(3, "127.0.0.1:4003")
          .withManualHeartbeats()
          .withRegion(REGION_A, RegionRole.Leader);
      assertThat(datanode.start().get(10, TimeUnit.SECONDS)).isEqualTo(first.addr);
      assertThat(datanode.askLeaderRounds()).isEqualTo(1);

      first.leading = false;
      first.leader = second.addr;
      second.leading = true;
      second.leader = second.addr;
      HeartbeatResponse refused = datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(refused.getHeader().getError().getCode()).isEqualTo(2);

      await().atMost(Duration.ofSeconds(10))
          .until(() -> datanode.connectedTo().filter(second.addr::equals).isPresent());
      assertThat(datanode.askLeaderRounds()).isEqualTo(2);
      assertThat(datanode.errorAnswers()).isEqualTo(1);
      assertThat(second.nextRequest())
          .isEqualTo(HeartbeatRequest.newBuilder().setHeader(datanode.header()).build());
      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(second.nextRequest().getRegionStatsList()).hasSize(1);
    }
  }

  @Test
  void mailboxInstructionsAreAnsweredWithGreptimeDbsReplyJson() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      SimulatedDatanode datanode = nodes.datanode(1, "127.0.0.1:4001").withManualHeartbeats();
      datanode.start().get(10, TimeUnit.SECONDS);
      metasrv.nextRequest();

      metasrv.push(101, "Open candidate region: 4398046511105(1024, 1)",
          "{\"OpenRegion\":{\"region_ident\":{\"datanode_id\":1,\"table_id\":1024,"
              + "\"region_number\":1,\"engine\":\"mito2\"},\"region_storage_path\":"
              + "\"greptime/public/1024\",\"region_options\":{},\"region_wal_options\":{},"
              + "\"skip_wal_replay\":false}}");
      HeartbeatRequest opened = metasrv.nextRequest();
      assertReply(opened, 101, "Open candidate region: 4398046511105(1024, 1)",
          "{\"type\":\"open_region\",\"result\":true,\"error\":null}");
      assertThat(opened.getPeer().getId()).isEqualTo(1);
      assertThat(opened.getNodeEpoch()).isPositive();
      assertThat(opened.hasInfo()).isTrue();
      assertThat(opened.getRegionStatsList()).isEmpty();
      assertThat(datanode.role(REGION_A)).contains(RegionRole.Follower);

      metasrv.push(102, "Upgrade candidate region: 4398046511105(1024, 1)",
          "{\"UpgradeRegion\":{\"region_id\":4398046511105,\"last_entry_id\":7,"
              + "\"replay_timeout\":\"10s\",\"location_id\":null}}");
      assertReply(metasrv.nextRequest(), 102, "Upgrade candidate region: 4398046511105(1024, 1)",
          "{\"type\":\"upgrade_region\",\"ready\":true,\"exists\":true,\"error\":null}");
      assertThat(datanode.isWritable(REGION_A)).isTrue();

      datanode.setLastEntryId(REGION_A, 42);
      metasrv.push(103, "Downgrade leader region: 4398046511105(1024, 1)",
          "{\"DowngradeRegion\":{\"region_id\":4398046511105,"
              + "\"flush_timeout\":{\"secs\":1,\"nanos\":0},\"reject_write\":true}}");
      assertReply(metasrv.nextRequest(), 103, "Downgrade leader region: 4398046511105(1024, 1)",
          "{\"type\":\"downgrade_region\",\"last_entry_id\":42,\"exists\":true,\"error\":null}");
      assertThat(datanode.isWritable(REGION_A)).isFalse();

      metasrv.push(104, "Upgrade candidate region: 4398046511106(1024, 2)",
          "{\"UpgradeRegion\":{\"region_id\":4398046511106,\"replay_timeout\":null}}");
      assertReply(metasrv.nextRequest(), 104, "Upgrade candidate region: 4398046511106(1024, 2)",
          "{\"type\":\"upgrade_region\",\"ready\":false,\"exists\":false,\"error\":null}");
      metasrv.push(105, "Downgrade leader region: 4398046511106(1024, 2)",
          "{\"DowngradeRegion\":{\"region_id\":4398046511106,\"flush_timeout\":null,"
              + "\"reject_write\":false}}");
      assertReply(metasrv.nextRequest(), 105, "Downgrade leader region: 4398046511106(1024, 2)",
          "{\"type\":\"downgrade_region\",\"last_entry_id\":null,\"exists\":false,"
              + "\"error\":null}");

      metasrv.push(106, "Close downgraded region: 4398046511105(1024, 1)",
          "{\"CloseRegion\":{\"datanode_id\":1,\"table_id\":1024,\"region_number\":1,"
              + "\"engine\":\"mito2\"}}");
      assertReply(metasrv.nextRequest(), 106, "Close downgraded region: 4398046511105(1024, 1)",
          "{\"type\":\"close_region\",\"result\":true,\"error\":null}");
      assertThat(datanode.openRegions()).isEmpty();

      metasrv.push(0, "Invalidate table", "{\"InvalidateCaches\":[{\"TableId\":1024}]}");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> datanode.cacheInvalidations().size() == 1);
      assertThat(datanode.cacheInvalidations()).containsExactly("[{\"TableId\":1024}]");
      assertThat(datanode.sentReplies()).hasSize(6);
      assertThat(metasrv.requests).isEmpty();
    }
  }

  @Test
  void aFrontendHeartbeatsAsMemberZeroAndRecordsCacheInvalidations() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      SimulatedFrontend frontend = nodes.frontend("127.0.0.1:4000").withManualHeartbeats();
      frontend.start().get(10, TimeUnit.SECONDS);
      HeartbeatRequest handshake = metasrv.nextRequest();
      assertThat(handshake.getHeader().getRole()).isEqualTo(Role.FRONTEND);
      assertThat(handshake.getHeader().getMemberId()).isZero();

      frontend.heartbeatNow().get(10, TimeUnit.SECONDS);
      HeartbeatRequest beat = metasrv.nextRequest();
      assertThat(beat.getPeer().getId()).isZero();
      assertThat(beat.getPeer().getAddr()).isEqualTo("127.0.0.1:4000");
      assertThat(beat.hasInfo()).isTrue();
      assertThat(beat.getRegionStatsList()).isEmpty();

      metasrv.push(0, "Invalidate table",
          "{\"InvalidateCaches\":[{\"TableName\":{\"catalog_name\":\"greptime\","
              + "\"schema_name\":\"public\",\"table_name\":\"cpu\"}}]}");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> frontend.cacheInvalidations().size() == 1);
      assertThat(frontend.sentReplies()).isEmpty();
    }
  }

  @Test
  void writableOverlapsAcrossDatanodesAreFound() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      SimulatedDatanode first = nodes.datanode(1, "127.0.0.1:4001")
          .withManualHeartbeats().withRegion(REGION_A, RegionRole.Leader);
      SimulatedDatanode second = nodes.datanode(2, "127.0.0.1:4002")
          .withManualHeartbeats().withRegion(REGION_A, RegionRole.Follower);
      first.start().get(10, TimeUnit.SECONDS);
      second.start().get(10, TimeUnit.SECONDS);
      clock.advance(Duration.ofSeconds(12)); // first's countdown lapses: read-only at 12 s
      metasrv.answers = grant(Map.of(REGION_A, RegionRole.Leader), List.of());
      second.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(WritableOverlaps.find(List.of(first, second))).isEmpty();

      first.heartbeatNow().get(10, TimeUnit.SECONDS); // a second grant of the same region
      assertThat(WritableOverlaps.find(List.of(first, second))).hasSize(1);
    }
  }

  @Test
  void manyDatanodesHeartbeatOnTheirOwnOverSharedThreads() throws Exception {
    int datanodes = 200;
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      List<SimulatedDatanode> started = new ArrayList<>();
      for (int id = 1; id <= datanodes; id++) {
        SimulatedDatanode datanode = nodes.datanode(id, "127.0.0.1:" + (10_000 + id))
            .withHeartbeatInterval(Duration.ofMillis(200))
            .withRegion(SimulatedDatanode.regionId(id, 0), RegionRole.Leader);
        datanode.start();
        started.add(datanode);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> metasrv.requests.stream()
          .filter(request -> request.getRegionStatsCount() == 1)
          .map(request -> request.getPeer().getId())
          .distinct().count() == datanodes);
      assertThat(started).allMatch(datanode -> datanode.connectedTo().isPresent());
      long kitThreads = Thread.getAllStackTraces().keySet().stream()
          .filter(thread -> thread.getName().startsWith("simulated-node-")).count();
      assertThat(kitThreads).isLessThanOrEqualTo(
          1 + Math.max(2, Runtime.getRuntime().availableProcessors()));
    }
  }

  /**
   * The real server on the memory store grants leases from the table route: the region the route
   * puts on this datanode stays writable across heartbeats; the one the route does not know is
   * closed.
   */
  @Test
  void theRealServerLeasesRoutedRegionsAndClosesTheRest() throws Exception {
    try (MetasrvServer server = InProcessMetasrv.startLeading(dir.resolve("home"));
        SimulatedNodes nodes = new SimulatedNodes(List.of(InProcessMetasrv.addr(server)), clock)) {
      server.metasrv().kv().put(new TableRouteKey(1024).toBytes(),
          PhysicalTableRouteValue.of(List.of(RegionRoute.led(Region.of(REGION_A),
              new Peer(1, "127.0.0.1:4001")))).encode());
      SimulatedDatanode datanode = nodes.datanode(1, "127.0.0.1:4001")
          .withHeartbeatInterval(INTERVAL)
          .withManualHeartbeats()
          .withRegion(REGION_A, RegionRole.Follower)
          .withRegion(REGION_B, RegionRole.Leader);
      assertThat(datanode.start().get(10, TimeUnit.SECONDS)).isEqualTo(InProcessMetasrv.addr(server));

      HeartbeatResponse answer = datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      assertThat(answer.getRegionLease().getLeaseSeconds()).isEqualTo(10);
      assertThat(answer.getRegionLease().getCloseableRegionIdsList()).containsExactly(REGION_B);
      assertThat(datanode.isWritable(REGION_A)).as("the route, not the report, says Leader")
          .isTrue();
      assertThat(datanode.isOpen(REGION_B)).isFalse();
      for (int beat = 0; beat < 6; beat++) {
        clock.advance(INTERVAL);
        datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
        assertThat(datanode.isWritable(REGION_A)).isTrue();
      }
      assertThat(datanode.longestLeaseGap(REGION_A)).isZero();
    }
  }

  /** Grants {@code roles} and marks {@code closeable}, echoing duration_since_epoch, 10 s leases. */
  private static Function<HeartbeatRequest, HeartbeatResponse> grant(
      Map<Long, RegionRole> roles, List<Long> closeable) {
    return request -> {
      HeartbeatResponse.Builder response =
          HeartbeatResponse.newBuilder().setHeader(FakeHeartbeatServer.OK);
      if (request.hasPeer() && !request.hasMailboxMessage()) {
        RegionLease.Builder lease = RegionLease.newBuilder()
            .setDurationSinceEpoch(request.getDurationSinceEpoch())
            .setLeaseSeconds(10)
            .addAllCloseableRegionIds(closeable);
        for (RegionStat stat : request.getRegionStatsList()) {
          RegionRole role = roles.get(stat.getRegionId());
          if (role != null) {
            lease.addRegions(GrantedRegion.newBuilder()
                .setRegionId(stat.getRegionId()).setRole(role));
          }
        }
        response.setRegionLease(lease);
      }
      return response.build();
    };
  }


  private static void assertReply(HeartbeatRequest request, long id, String subject,
      String json) {
    MailboxMessage reply = request.getMailboxMessage();
    assertThat(reply.getId()).isEqualTo(id);
    assertThat(reply.getSubject()).isEqualTo(subject);
    assertThat(reply.getFrom()).isEqualTo("Datanode-1@127.0.0.1:4001");
    assertThat(reply.getTo()).startsWith("Metasrv@");
    assertThat(reply.getJson()).isEqualTo(json);
  }
}
