package io.metasrv.heartbeat.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.LeaseValue;
import io.metasrv.cluster.NodeInfo;
import io.metasrv.cluster.NodeStatus;
import io.metasrv.cluster.Stat;
import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.failure.DatanodeRegion;
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
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.LeaderState;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.NodeAddressKey;
import io.metasrv.metadata.NodeAddressValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.NodeInfo.Builder;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The standard chain on a memory store, driven request by request on a fake wall clock. */
class StandardHandlersTest {
  private static final long TABLE = 1024;
  private static final long ROUTED_LEADER = RegionId.of(TABLE, 1);
  private static final long ROUTED_FOLLOWER = RegionId.of(TABLE, 2);
  private static final long DOWNGRADING = RegionId.of(TABLE, 3);
  private static final long UNROUTED = RegionId.of(TABLE, 9);
  private static final long LOGICAL = RegionId.of(2048, 1);
  private static final long OPERATING = RegionId.of(4096, 1);

  private final MemoryKv store = new MemoryKv(KvLimits.DEFAULT);
  private final FencedKv leaderKv = new FencedKv(store, epoch -> { });
  private final ClusterView view = new ClusterView();
  private final Pushers pushers = new Pushers();
  private final List<HeartbeatResponse> pushed = new CopyOnWriteArrayList<>(); // also pushed by flushes
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
      HeartbeatHandlers.standard(leading::get, view, leaderKv, mailbox, keeper,
          new CacheInvalidator(mailbox, "10.0.0.1:3002", now::get), detectors, 3, registry,
          now::get),
      registry);

  StandardHandlersTest() {
    leaderKv.acquire(1);
  }

  @AfterEach
  void stop() {
    deadlines.shutdownNow();
  }

  @Test
  void chainRunsInGreptimeDbsOrder() {
    assertThat(chain.names()).containsExactly("ResponseHeaderHandler",
        "DatanodeKeepLeaseHandler", "FlownodeKeepLeaseHandler", "CheckLeaderHandler",
        "OnLeaderStartHandler", "ExtractStatHandler", "CollectDatanodeClusterInfoHandler",
        "CollectFrontendClusterInfoHandler", "CollectFlownodeClusterInfoHandler",
        "MailboxHandler", "RegionLeaseHandler", "FilterInactiveRegionStatsHandler",
        "RegionFailureHandler", "CollectStatsHandler", "RemapFlowPeerHandler", "FlowStateHandler");
  }

  @Test
  void anOperatingRegionWhoseRoleIsChangingGetsNoLeaseAnswerUntilItsGuardCloses() {
    MemoryRegionKeeper.Guard upgrading = keeper.register(7, OPERATING);
    keeper.register(7, OPERATING + 1);
    upgrading.changingRole();

    HeartbeatResponse response = handle(datanode(7, 1, region(OPERATING, RegionRole.Follower),
        region(OPERATING + 1, RegionRole.Follower)).build());
    assertThat(response.getRegionLease().getRegionsList())
        .as("a follower role echoed after the upgrade would undo it")
        .extracting(GrantedRegion::getRegionId).containsExactly(OPERATING + 1);
    assertThat(response.getRegionLease().getCloseableRegionIdsList()).isEmpty();

    upgrading.close();
    response = handle(datanode(7, 1, region(OPERATING, RegionRole.Leader)).build());
    assertThat(response.getRegionLease().getCloseableRegionIdsList())
        .as("no longer operated on, and no route names it").containsExactly(OPERATING);
    assertThat(keeper.isChangingRole(7, OPERATING)).isFalse();
  }

  @Test
  void regionRolesComeFromTheTableRouteAndTheRestIsCloseable() {
    Peer self = new Peer(7, "10.0.0.7:4001");
    Peer other = new Peer(8, "10.0.0.8:4001");
    store.put(new TableRouteKey(TABLE).toBytes(), PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(ROUTED_LEADER), self),
        new RegionRoute(Region.of(ROUTED_FOLLOWER), other, List.of(self), null, null),
        new RegionRoute(Region.of(DOWNGRADING), self, List.of(), LeaderState.DOWNGRADING,
            null))).encode());
    store.put(new TableRouteKey(2048).toBytes(),
        new LogicalTableRouteValue(TABLE, List.of(LOGICAL)).encode());
    keeper.register(7, OPERATING);

    HeartbeatResponse response = handle(datanode(7, 1,
        region(ROUTED_LEADER, RegionRole.Follower), region(ROUTED_FOLLOWER, RegionRole.Leader),
        region(DOWNGRADING, RegionRole.Leader), region(UNROUTED, RegionRole.Leader),
        region(LOGICAL, RegionRole.Leader), region(OPERATING, RegionRole.Follower))
        .setDurationSinceEpoch(123_456).build());

    assertThat(response.getRegionLease().getRegionsList())
        .extracting(GrantedRegion::getRegionId, GrantedRegion::getRole)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(ROUTED_LEADER, RegionRole.Leader),
            org.assertj.core.groups.Tuple.tuple(ROUTED_FOLLOWER, RegionRole.Follower),
            org.assertj.core.groups.Tuple.tuple(DOWNGRADING, RegionRole.DowngradingLeader),
            org.assertj.core.groups.Tuple.tuple(OPERATING, RegionRole.Follower));
    assertThat(response.getRegionLease().getCloseableRegionIdsList())
        .containsExactlyInAnyOrder(UNROUTED, LOGICAL);
    assertThat(response.getRegionLease().getDurationSinceEpoch()).isEqualTo(123_456);
    assertThat(response.getRegionLease().getLeaseSeconds()).isEqualTo(10);

    List<Stat> stats = Stat.decodeAll(view.kv().get(ClusterKeys.datanodeStat(7))
        .orElseThrow().value());
    assertThat(stats).hasSize(1);
    assertThat(stats.get(0).regionStats()).extracting(s -> s.id())
        .as("denied regions are not recorded")
        .containsExactlyInAnyOrder(ROUTED_LEADER, ROUTED_FOLLOWER, DOWNGRADING, OPERATING);
    NodeInfo info = NodeInfo.decode(view.kv().get(ClusterKeys.nodeInfo(Role.DATANODE, 7))
        .orElseThrow().value());
    assertThat(info.status()).as("reported roles, counted before the filter")
        .isEqualTo(new NodeStatus.Datanode(0, 0, 4, 2));
    assertThat(info.lastActivityTs()).isEqualTo(now.get());

    assertThat(detectors.size()).as("the leased regions feed the failure detectors").isEqualTo(4);
    assertThat(detectors.contains(new DatanodeRegion(7, ROUTED_LEADER))).isTrue();
    assertThat(detectors.contains(new DatanodeRegion(7, UNROUTED))).isFalse();
    assertThat(registry.get("metasrv.region.leases").gauge().value()).isEqualTo(4);
    assertThat(registry.get("metasrv.region.leases.denied").counter().count()).isEqualTo(2);
    now.addAndGet(9_999);
    assertThat(detectors.size()).as("the leased regions feed the failure detectors").isEqualTo(4);
    assertThat(detectors.contains(new DatanodeRegion(7, ROUTED_LEADER))).isTrue();
    assertThat(detectors.contains(new DatanodeRegion(7, UNROUTED))).isFalse();
    assertThat(registry.get("metasrv.region.leases").gauge().value()).isEqualTo(4);
    now.addAndGet(1);
    assertThat(registry.get("metasrv.region.leases").gauge().value())
        .as("the granted leases ran out").isZero();
  }

  @Test
  void aRegionReportedTwiceIsLeasedOnceAtItsFirstPlaceAndARouteNamingItTwiceCountsItsFirst() {
    Peer self = new Peer(7, "10.0.0.7:4001");
    Peer other = new Peer(8, "10.0.0.8:4001");
    long otherTable = RegionId.of(3072, 1);
    store.put(new TableRouteKey(TABLE).toBytes(), PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(ROUTED_LEADER), self),
        RegionRoute.led(Region.of(ROUTED_LEADER), other),
        new RegionRoute(Region.of(ROUTED_FOLLOWER), other, List.of(other, self), null, null)))
        .encode());
    store.put(new TableRouteKey(3072).toBytes(),
        PhysicalTableRouteValue.of(List.of(RegionRoute.led(Region.of(otherTable), self)))
            .encode());
    keeper.register(7, OPERATING);

    HeartbeatResponse response = handle(datanode(7, 1,
        region(ROUTED_LEADER, RegionRole.Follower), region(OPERATING, RegionRole.Leader),
        region(otherTable, RegionRole.Follower), region(ROUTED_FOLLOWER, RegionRole.Leader),
        region(OPERATING, RegionRole.Follower), region(ROUTED_LEADER, RegionRole.Leader))
        .build());

    assertThat(response.getRegionLease().getRegionsList())
        .extracting(GrantedRegion::getRegionId, GrantedRegion::getRole)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(ROUTED_LEADER, RegionRole.Leader),
            org.assertj.core.groups.Tuple.tuple(OPERATING, RegionRole.Follower),
            org.assertj.core.groups.Tuple.tuple(otherTable, RegionRole.Leader),
            org.assertj.core.groups.Tuple.tuple(ROUTED_FOLLOWER, RegionRole.Follower));
    assertThat(response.getRegionLease().getCloseableRegionIdsList()).isEmpty();
  }

  @Test
  void aChangedRouteChangesTheGrantedRoleOnTheNextHeartbeat() {
    Peer self = new Peer(7, "10.0.0.7:4001");
    Peer other = new Peer(8, "10.0.0.8:4001");
    byte[] key = new TableRouteKey(TABLE).toBytes();
    PhysicalTableRouteValue led = PhysicalTableRouteValue.of(
        List.of(RegionRoute.led(Region.of(ROUTED_LEADER), self)));
    leaderKv.put(key, led.encode());
    assertThat(grantedRoles(ROUTED_LEADER)).containsExactly(RegionRole.Leader);
    assertThat(grantedRoles(ROUTED_LEADER)).as("an unchanged route, reused")
        .containsExactly(RegionRole.Leader);

    PhysicalTableRouteValue followed = led.update(List.of(
        new RegionRoute(Region.of(ROUTED_LEADER), other, List.of(self), null, null)));
    leaderKv.put(key, followed.encode());
    assertThat(grantedRoles(ROUTED_LEADER)).containsExactly(RegionRole.Follower);

    PhysicalTableRouteValue ledAgain = followed.update(List.of(
        new RegionRoute(Region.of(ROUTED_LEADER), self, List.of(other), null, null)));
    leaderKv.put(key, ledAgain.encode());
    assertThat(grantedRoles(ROUTED_LEADER)).containsExactly(RegionRole.Leader);
    // Same length and version as the route before: only the bytes tell them apart.
    leaderKv.put(key, new PhysicalTableRouteValue(List.of(new RegionRoute(
        Region.of(ROUTED_LEADER), other, List.of(self), null, null)), ledAgain.version())
        .encode());
    assertThat(grantedRoles(ROUTED_LEADER)).containsExactly(RegionRole.Follower);

    leaderKv.put(key, followed.update(List.of(new RegionRoute(Region.of(ROUTED_LEADER), self,
        List.of(), LeaderState.DOWNGRADING, null))).encode());
    assertThat(grantedRoles(ROUTED_LEADER)).containsExactly(RegionRole.DowngradingLeader);

    leaderKv.batchDelete(List.of(key), false);
    HeartbeatResponse gone = handle(datanode(7, 1, region(ROUTED_LEADER, RegionRole.Leader))
        .build());
    assertThat(gone.getRegionLease().getRegionsList()).isEmpty();
    assertThat(gone.getRegionLease().getCloseableRegionIdsList()).containsExactly(ROUTED_LEADER);

    leaderKv.put(key, led.encode());
    assertThat(grantedRoles(ROUTED_LEADER)).as("a route written again after its table's was gone")
        .containsExactly(RegionRole.Leader);
  }

  private List<RegionRole> grantedRoles(long regionId) {
    return handle(datanode(7, 1, region(regionId, RegionRole.Follower)).build())
        .getRegionLease().getRegionsList().stream().map(GrantedRegion::getRole).toList();
  }

  @Test
  void leaseAndStatsFollowGreptimeDbsFlushRules() {
    HeartbeatResponse first = handle(datanode(7, 1).build());
    assertThat(first.getHeader().hasError()).isFalse();
    LeaseValue lease = LeaseValue.decode(view.kv().get(ClusterKeys.datanodeLease(7))
        .orElseThrow().value());
    assertThat(lease).isEqualTo(new LeaseValue(now.get(), "10.0.0.7:4001"));
    assertThat(NodeAddressValue.decode(store.get(NodeAddressKey.datanode(7).toBytes())
        .orElseThrow().value()).peer()).isEqualTo(new Peer(7, "10.0.0.7:4001"));
    assertThat(pushed).as("the first stat invalidates caches").hasSize(1);
    assertThat(pushed.get(0).getMailboxMessage().getJson()).isEqualTo(
        "{\"InvalidateCaches\":[]}");
    assertThat(pushed.get(0).getMailboxMessage().getId()).isZero();

    for (int beat = 0; beat < 2; beat++) {
      now.addAndGet(3_000);
      handle(datanode(7, 1).build());
    }
    assertThat(storedStats(7)).as("buffered until flush_stats_factor").hasSize(1);
    now.addAndGet(3_000);
    handle(datanode(7, 1).build());
    assertThat(storedStats(7)).hasSize(3);

    now.addAndGet(3_000);
    handle(datanode(7, 0).build());
    assertThat(storedStats(7)).as("an older epoch is ignored").hasSize(3);
    handle(datanode(7, 2).build());
    assertThat(storedStats(7)).as("a restarted node is stored at once").hasSize(1);
    // within CombinedInvalidations' linger of the first: broadcast when the linger ends
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pushed).hasSize(2));
  }

  @Test
  void handshakeGetsAHeaderOnlyAndAFollowerAnswersNotLeader() {
    HeartbeatResponse handshake = handle(HeartbeatRequest.newBuilder()
        .setHeader(header(Role.DATANODE, 7)).build());
    assertThat(handshake.getHeader().hasError()).isFalse();
    assertThat(handshake.hasRegionLease()).isFalse();

    leading.set(false);
    HeartbeatResponse follower = handle(datanode(7, 1).build());
    assertThat(follower.getHeader().getError().getCode()).isEqualTo(2);
    assertThat(follower.getHeader().getError().getErrMsg())
        .isEqualTo("Current server is not leader");
    assertThat(follower.hasRegionLease()).isFalse();
  }

  @Test
  void aNewLeadershipStartsTheViewEmptyButKeepsTheLeaseOfTheFirstHeartbeat() {
    handle(datanode(7, 1).build());
    handle(datanode(8, 1).build());
    view.leadershipChanged();
    handle(datanode(7, 1).build());
    assertThat(view.kv().get(ClusterKeys.datanodeLease(7))).isPresent();
    assertThat(view.kv().get(ClusterKeys.datanodeLease(8))).isEmpty();
    assertThat(view.aliveDatanodes(now::get)).extracting(ClusterView.NodeLease::nodeId)
        .containsExactly(7L);
    assertThat(view.aliveDatanodes(() -> now.get() + 10_000)).as("alive means under 10 s").isEmpty();
  }

  @Test
  void frontendsAreKeyedByTheHashOfTheirAddress() {
    handle(HeartbeatRequest.newBuilder().setHeader(header(Role.FRONTEND, 0))
        .setPeer(io.metasrv.protocol.Peer.newBuilder().setAddr("127.0.0.1:4001"))
        .setInfo(info()).build());
    NodeInfo info = NodeInfo.decode(view.kv()
        .get(Bytes.utf8("__meta_cluster_node_info-0-1-6217528761578684316")).orElseThrow()
        .value());
    assertThat(info.status()).isEqualTo(new NodeStatus.Frontend());
    assertThat(info.peer()).isEqualTo(new Peer(0, "127.0.0.1:4001"));
  }

  @Test
  void nodesIdleLongerThanTheLimitAreForgottenButTheirLeasesStay() {
    handle(datanode(7, 1).build());
    long seen = now.get();
    long maxIdle = Duration.ofHours(24).toMillis();
    assertThat(view.removeIdleNodes(seen + maxIdle, maxIdle)).as("idle exactly the limit")
        .isEmpty();
    assertThat(view.removeIdleNodes(seen + maxIdle + 1, maxIdle))
        .containsExactly(new ClusterKeys.NodeInfoKey(Role.DATANODE, 7));
    assertThat(view.kv().get(ClusterKeys.nodeInfo(Role.DATANODE, 7))).isEmpty();
    assertThat(view.kv().get(ClusterKeys.datanodeLease(7))).isPresent();
  }

  @Test
  void aMailboxReplyGoesToItsSenderAndEndsTheChain() throws Exception {
    pushers.register(PusherKey.datanode(7), response -> pushed.add(response));
    CompletableFuture<MailboxMessage> reply = mailbox.send(PusherKey.datanode(7),
        MailboxMessage.newBuilder().setSubject("Open candidate region").build(),
        Duration.ofSeconds(30));
    long id = pushed.get(0).getMailboxMessage().getId();
    assertThat(id).isEqualTo(101);

    HeartbeatResponse response = handle(datanode(7, 1)
        .setMailboxMessage(MailboxMessage.newBuilder().setId(id).setJson("{}")).build());
    assertThat(reply.get(5, TimeUnit.SECONDS).getJson()).isEqualTo("{}");
    assertThat(response.hasRegionLease()).isFalse();
    assertThat(view.kv().get(ClusterKeys.datanodeStat(7))).as("no stat from a reply").isEmpty();
    assertThat(view.kv().get(ClusterKeys.datanodeLease(7))).as("but the lease is renewed")
        .isPresent();
  }

  private List<Stat> storedStats(long datanodeId) {
    return Stat.decodeAll(view.kv().get(ClusterKeys.datanodeStat(datanodeId)).orElseThrow()
        .value());
  }

  private HeartbeatResponse handle(HeartbeatRequest request) {
    Role role = request.getHeader().getRole();
    PusherKey key = new PusherKey(role, request.getHeader().getMemberId());
    if (pushers.get(key).isEmpty()) {
      pushers.register(key, response -> pushed.add(response));
    }
    return chain.handle(new HeartbeatContext(ParsedHeartbeat.of(request), key, now.get()));
  }

  private static HeartbeatRequest.Builder datanode(long id, long epoch, RegionStat... regions) {
    return HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, id))
        .setPeer(io.metasrv.protocol.Peer.newBuilder().setId(id).setAddr("10.0.0." + id
            + ":4001"))
        .setNodeEpoch(epoch).setInfo(info()).addAllRegionStats(List.of(regions));
  }

  private static Builder info() {
    return io.metasrv.protocol.NodeInfo.newBuilder().setVersion("0.14.0").setGitCommit("abc")
        .setStartTimeMs(1);
  }

  private static RegionStat region(long id, RegionRole role) {
    return RegionStat.newBuilder().setRegionId(id).setEngine("mito2").setRole(role).build();
  }

  private static RequestHeader header(Role role, long memberId) {
    return RequestHeader.newBuilder().setProtocolVersion(1).setRole(role).setMemberId(memberId)
        .build();
  }
}
