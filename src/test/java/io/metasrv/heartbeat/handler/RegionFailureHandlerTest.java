package io.metasrv.heartbeat.handler;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.cluster.ClusterView;
import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.failure.DatanodeRegion;
import io.metasrv.failure.FailedRegion;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.fence.FencedKv;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandlerChain;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.ParsedHeartbeat;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.heartbeat.Pushers;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What reaches the failure detectors through the standard chain (reference §1.4, handler 13):
 * the regions of a datanode's stat that kept their lease, stamped with the leader's receive
 * time, on the leader only. Driven request by request on a fake clock.
 */
class RegionFailureHandlerTest {
  private static final long TABLE = 1024;
  private static final long LEADER = RegionId.of(TABLE, 1);
  private static final long FOLLOWER = RegionId.of(TABLE, 2);
  private static final long NOT_ROUTED_HERE = RegionId.of(TABLE, 3);
  private static final long UNKNOWN_TABLE = RegionId.of(9999, 1);
  private static final long LOGICAL = RegionId.of(2048, 1);
  private static final long OPERATING = RegionId.of(4096, 1);
  /** The first-heartbeat estimate's crossing: 12307 ms after a region's only heartbeat. */
  private static final long FIRST_HEARTBEAT_CROSSING = 12_307;

  private final MemoryKv store = new MemoryKv(KvLimits.DEFAULT);
  private final FencedKv leaderKv = new FencedKv(store, epoch -> { });
  private final Pushers pushers = new Pushers();
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
  private final AtomicLong mailboxIds = new AtomicLong(100);
  private final Mailbox mailbox = new Mailbox(pushers, mailboxIds::incrementAndGet, deadlines,
      new SimpleMeterRegistry());
  private final MemoryRegionKeeper keeper = new MemoryRegionKeeper();
  private final AtomicBoolean leading = new AtomicBoolean(true);
  private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RegionFailureDetectors detectors =
      new RegionFailureDetectors(FailureDetectorOptions.defaults(), now::get);
  private final HeartbeatHandlerChain chain = new HeartbeatHandlerChain(
      HeartbeatHandlers.standard(leading::get, new ClusterView(), leaderKv, mailbox, keeper,
          new CacheInvalidator(mailbox, "10.0.0.1:3002", now::get), detectors, 3, registry,
          now::get),
      registry);

  RegionFailureHandlerTest() {
    leaderKv.acquire(1);
    Peer seven = new Peer(7, "10.0.0.7:4001");
    Peer eight = new Peer(8, "10.0.0.8:4001");
    store.put(new TableRouteKey(TABLE).toBytes(), PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(LEADER), seven),
        new RegionRoute(Region.of(FOLLOWER), eight, List.of(seven), null, null),
        RegionRoute.led(Region.of(NOT_ROUTED_HERE), eight))).encode());
    store.put(new TableRouteKey(2048).toBytes(),
        new LogicalTableRouteValue(TABLE, List.of(LOGICAL)).encode());
    keeper.register(7, OPERATING);
  }

  @AfterEach
  void stop() {
    deadlines.shutdownNow();
  }

  @Test
  void onlyTheRegionsThatKeptTheirLeaseHeartbeatAtTheLeadersReceiveTime() {
    long received = now.get();
    HeartbeatResponse response = handle(datanode(7, LEADER, FOLLOWER, NOT_ROUTED_HERE,
        UNKNOWN_TABLE, LOGICAL, OPERATING));
    assertThat(response.getRegionLease().getCloseableRegionIdsList())
        .containsExactlyInAnyOrder(NOT_ROUTED_HERE, UNKNOWN_TABLE, LOGICAL);

    assertThat(watched(7)).as("leader, follower and the region under an operation")
        .containsExactlyInAnyOrder(LEADER, FOLLOWER, OPERATING);
    assertThat(detectors.size()).isEqualTo(3);

    now.addAndGet(FIRST_HEARTBEAT_CROSSING - 1);
    assertThat(detectors.failed()).isEmpty();
    now.addAndGet(1);
    assertThat(detectors.failed()).as("their only heartbeat is the one received")
        .extracting(FailedRegion::lastHeartbeatMillis).containsOnly(received);
  }

  @Test
  void aRegionWhoseLeaseIsLaterDeniedStopsHeartbeating() {
    handle(datanode(7, LEADER, FOLLOWER));
    long lastOfFollower = now.get();
    // the follower replica moved away from datanode 7
    store.put(new TableRouteKey(TABLE).toBytes(), PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(LEADER), new Peer(7, "10.0.0.7:4001")),
        RegionRoute.led(Region.of(FOLLOWER), new Peer(8, "10.0.0.8:4001")))).encode());
    for (int beat = 0; beat < 5; beat++) {
      now.addAndGet(3_000);
      HeartbeatResponse response = handle(datanode(7, LEADER, FOLLOWER));
      assertThat(response.getRegionLease().getCloseableRegionIdsList()).containsExactly(FOLLOWER);
    }

    now.set(lastOfFollower + FIRST_HEARTBEAT_CROSSING);
    assertThat(detectors.failed()).singleElement().satisfies(failed -> {
      assertThat(failed.region()).isEqualTo(new DatanodeRegion(7, FOLLOWER));
      assertThat(failed.lastHeartbeatMillis()).isEqualTo(lastOfFollower);
    });
  }

  @Test
  void aFollowerFeedsNothing() {
    leading.set(false);

    HeartbeatResponse response = handle(datanode(7, LEADER, FOLLOWER));

    assertThat(response.getHeader().getError().getCode()).as("NotLeader").isEqualTo(2);
    assertThat(detectors.size()).isZero();

    leading.set(true);
    handle(datanode(7, LEADER, FOLLOWER));
    assertThat(watched(7)).containsExactlyInAnyOrder(LEADER, FOLLOWER);
  }

  @Test
  void onlyDatanodesStatHeartbeatsFeedTheDetectors() {
    for (Role role : List.of(Role.FRONTEND, Role.FLOWNODE)) {
      handle(request(role, 7).addAllRegionStats(regionStats(LEADER, FOLLOWER)).build());
    }
    assertThat(detectors.size()).as("region stats from a frontend or a flownode").isZero();

    handle(request(Role.DATANODE, 7).clearPeer().clearInfo().build());
    assertThat(detectors.size()).as("a handshake carries no stat").isZero();

    handle(datanode(7, LEADER).toBuilder()
        .setMailboxMessage(MailboxMessage.newBuilder().setId(1).setJson("{}")).build());
    assertThat(detectors.size()).as("a mailbox reply carries no stat").isZero();

    handle(datanode(7, LEADER));
    assertThat(watched(7)).containsExactly(LEADER);
  }

  /** The watched regions of {@code datanodeId} among those this test uses. */
  private List<Long> watched(long datanodeId) {
    return List.of(LEADER, FOLLOWER, NOT_ROUTED_HERE, UNKNOWN_TABLE, LOGICAL, OPERATING).stream()
        .filter(region -> detectors.contains(new DatanodeRegion(datanodeId, region)))
        .toList();
  }

  private HeartbeatResponse handle(HeartbeatRequest request) {
    Role role = request.getHeader().getRole();
    PusherKey key = new PusherKey(role, request.getHeader().getMemberId());
    if (pushers.get(key).isEmpty()) {
      pushers.register(key, response -> true);
    }
    return chain.handle(new HeartbeatContext(ParsedHeartbeat.of(request), key, now.get()));
  }

  private static HeartbeatRequest datanode(long id, long... regionIds) {
    return request(Role.DATANODE, id).setNodeEpoch(1).addAllRegionStats(regionStats(regionIds))
        .build();
  }

  private static HeartbeatRequest.Builder request(Role role, long id) {
    return HeartbeatRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setRole(role)
            .setMemberId(id))
        .setPeer(io.metasrv.protocol.Peer.newBuilder().setId(id).setAddr("10.0.0." + id
            + ":4001"))
        .setInfo(io.metasrv.protocol.NodeInfo.newBuilder().setVersion("0.14.0")
            .setGitCommit("abc").setStartTimeMs(1));
  }

  private static List<RegionStat> regionStats(long... regionIds) {
    return Arrays.stream(regionIds).mapToObj(id -> RegionStat.newBuilder()
        .setRegionId(id).setEngine("mito2").setRole(RegionRole.Leader).build()).toList();
  }
}
