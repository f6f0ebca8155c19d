package io.metasrv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.NodeInfo;
import io.metasrv.cluster.NodeStatus;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.election.Election;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.election.StandaloneElection;
import io.metasrv.fence.LeaderEpoch;
import io.metasrv.heartbeat.ParsedHeartbeat;
import io.metasrv.http.NodeHealth;
import io.metasrv.http.NotLeaderException;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.sequence.Sequence;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class MetasrvTest {
  private static final MetasrvNodeInfo NODE = new MetasrvNodeInfo("127.0.0.1:3002", "1.0", "abc",
      1L);
  private final List<String> events = new CopyOnWriteArrayList<>();

  @Test
  void standaloneNodeLeadsAfterStartAndStepsDownOnShutdown() {
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), new StandaloneElection(),
        () -> true);
    metasrv.addLeaderStateHandler(new Recording("cache"));
    metasrv.addLeaderStateHandler(new Recording("procedures"));
    assertThat(metasrv.health()).isEqualTo(NodeHealth.NOT_SERVING);

    metasrv.start();
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.health()).isEqualTo(NodeHealth.LEADER);
    assertThat(metasrv.leaderAddr()).contains("127.0.0.1:3002");
    assertThat(events).containsExactly("cache started", "procedures started");

    metasrv.shutdown();
    assertThat(metasrv.state()).isEqualTo(ServingState.STOPPED);
    assertThat(metasrv.health()).isEqualTo(NodeHealth.NOT_SERVING);
    assertThat(events).containsExactly("cache started", "procedures started",
        "procedures stopped", "cache stopped");
  }

  @Test
  void leadershipFollowsElectionEventsInOrder() {
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), election, () -> true);
    metasrv.addLeaderStateHandler(new Recording("a"));
    metasrv.start();
    assertThat(metasrv.state()).isEqualTo(ServingState.FOLLOWER);
    assertThat(metasrv.health()).isEqualTo(NodeHealth.FOLLOWER);

    for (int round = 0; round < 3; round++) {
      election.fire(new LeaderChange.Elected(NODE.addr(), 0));
      election.fire(new LeaderChange.StepDown(NODE.addr()));
    }
    election.fire(new LeaderChange.Elected(NODE.addr(), 0));
    // every event handled, not an intermediate LEADER of an earlier round
    await().until(() -> events.size() == 7);
    assertThat(events).containsExactly("a started", "a stopped", "a started", "a stopped",
        "a started", "a stopped", "a started");
    await().until(() -> metasrv.state() == ServingState.LEADER);
    metasrv.shutdown();
  }

  @Test
  void handlerThatFailsToStartMakesTheNodeResign() {
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), election, () -> true);
    metasrv.addLeaderStateHandler(new Recording("first"));
    metasrv.addLeaderStateHandler(new Recording("broken") {
      @Override
      public void onLeaderStart() {
        throw new IllegalStateException("cannot load cache");
      }
    });
    metasrv.addLeaderStateHandler(new Recording("never"));
    metasrv.start();
    election.fire(new LeaderChange.Elected(NODE.addr(), 0));

    await().until(() -> election.resigned);
    await().until(() -> events.size() == 2);
    assertThat(events).containsExactly("first started", "first stopped");
    assertThat(metasrv.state()).isEqualTo(ServingState.FOLLOWER);
    metasrv.shutdown();
  }

  @Test
  void handlersCannotBeAddedAfterStart() {
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), new ManualElection(),
        () -> true);
    metasrv.start();
    assertThatThrownBy(
            () -> metasrv.addLeaderStateHandler(new Recording("late")))
        .isInstanceOf(IllegalStateException.class);
    metasrv.shutdown();
  }

  @Test
  void maintenanceIsStoredUnderGreptimeDbsKey() {
    MemoryKv kv = new MemoryKv(KvLimits.DEFAULT);
    Metasrv metasrv = new Metasrv(NODE, kv, new StandaloneElection(), () -> true);
    metasrv.start();
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.maintenanceEnabled()).isFalse();
    assertThat(metasrv.setMaintenance(true)).isTrue();
    assertThat(kv.get("__maintenance".getBytes())).isPresent();
    assertThat(metasrv.maintenanceEnabled()).isTrue();
    assertThat(metasrv.setMaintenance(false)).isFalse();
    assertThat(kv.get("__maintenance".getBytes())).isEmpty();
    assertThat(metasrv.maintenanceEnabled()).isFalse();
  }

  @Test
  void electedNodeRaisesTheStoredEpochAndHoldsIt() {
    MemoryKv kv = new MemoryKv(KvLimits.DEFAULT);
    new LeaderEpoch(kv).acquire(5);
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, kv, election, () -> true);
    metasrv.start();

    election.fire(new LeaderChange.Elected(NODE.addr(), 0));
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.leaderKv().heldEpoch()).isEqualTo(6);
    election.fire(new LeaderChange.StepDown(NODE.addr()));
    await().until(() -> metasrv.state() == ServingState.FOLLOWER);
    assertThat(metasrv.leaderKv().heldEpoch()).isZero();
    election.fire(new LeaderChange.Elected(NODE.addr(), 42));
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.leaderKv().heldEpoch()).isEqualTo(42);
    assertThat(new LeaderEpoch(kv).current()).isEqualTo(42);
    metasrv.shutdown();
  }

  @Test
  void electionWithATermBelowTheStoredEpochIsRefused() {
    MemoryKv kv = new MemoryKv(KvLimits.DEFAULT);
    new LeaderEpoch(kv).acquire(100);
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, kv, election, () -> true);
    metasrv.addLeaderStateHandler(new Recording("a"));
    metasrv.start();

    election.fire(new LeaderChange.Elected(NODE.addr(), 99));
    await().until(() -> election.resigned);
    assertThat(metasrv.state()).isEqualTo(ServingState.FOLLOWER);
    assertThat(events).isEmpty();
    assertThat(new LeaderEpoch(kv).current()).isEqualTo(100);
    metasrv.shutdown();
  }

  @Test
  void aDeposedLeaderCannotWriteAndStepsDown() {
    MemoryKv kv = new MemoryKv(KvLimits.DEFAULT);
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, kv, election, () -> true);
    metasrv.addLeaderStateHandler(new Recording("a"));
    metasrv.start();
    election.fire(new LeaderChange.Elected(NODE.addr(), 7));
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.setMaintenance(true)).isTrue();

    new LeaderEpoch(kv).acquire(8); // a newer leader, unknown to this node's election
    assertThatThrownBy(() -> metasrv.setMaintenance(false))
        .isInstanceOf(NotLeaderException.class);
    assertThat(metasrv.maintenanceEnabled()).as("the stale write did not land").isTrue();
    await().until(() -> metasrv.state() == ServingState.FOLLOWER);
    assertThat(election.resigned).isTrue();
    assertThat(events).containsExactly("a started", "a stopped");
    metasrv.shutdown();
  }

  @Test
  void aFollowerRefusesMaintenanceWritesAndNamesTheLeader() {
    MemoryKv kv = new MemoryKv(KvLimits.DEFAULT);
    ManualElection election = new ManualElection();
    election.otherLeader = "10.0.0.9:3002";
    Metasrv metasrv = new Metasrv(NODE, kv, election, () -> true);
    metasrv.start();
    assertThatThrownBy(() -> metasrv.setMaintenance(true))
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("the leader is 10.0.0.9:3002");
    assertThat(metasrv.maintenanceEnabled()).isFalse();
    metasrv.shutdown();
  }

  @Test
  void tableIdsOnlyGrowAcrossLeaderChangesAndOnlyTheLeaderHandsThemOut() {
    MemoryKv kv = new MemoryKv(KvLimits.DEFAULT);
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, kv, election, () -> true);
    metasrv.start();
    election.fire(new LeaderChange.Elected(NODE.addr(), 1));
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.allocateTableId()).isEqualTo(1024);

    // another leader reserves the next range meanwhile; this node leads again afterwards
    election.fire(new LeaderChange.StepDown(NODE.addr()));
    await().until(() -> metasrv.state() == ServingState.FOLLOWER);
    election.otherLeader = "10.0.0.9:3002";
    assertThatThrownBy(metasrv::allocateTableId).isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("10.0.0.9:3002");
    assertThat(Sequence.tableIds(kv).next()).isEqualTo(1034);
    election.fire(new LeaderChange.Elected(NODE.addr(), 2));
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.allocateTableId()).as("not 1025 from the range of its first term")
        .isEqualTo(1044);

    election.leading = false; // lapsed, and not yet told
    assertThatThrownBy(metasrv::allocateTableId).isInstanceOf(NotLeaderException.class);
    metasrv.shutdown();
  }

  @Test
  void aLapsedLeaderWhoseElectionStillSeesItselfNamesNoLeader() {
    ManualElection election = new ManualElection();
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), election, () -> true);
    metasrv.start();
    election.fire(new LeaderChange.Elected(NODE.addr(), 3));
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.leaderAddr()).contains(NODE.addr());

    election.leading = false; // lapsed; the store has not shown the successor's key yet
    election.otherLeader = NODE.addr();
    assertThat(metasrv.leaderAddr()).as("a lapsed leader never names itself").isEmpty();
    election.otherLeader = "10.0.0.9:3002";
    assertThat(metasrv.leaderAddr()).contains("10.0.0.9:3002");
    metasrv.shutdown();
  }

  @Test
  void aNodeStillStartingAsLeaderAsksClientsToRetryInsteadOfNamingNoLeader() throws Exception {
    ManualElection election = new ManualElection();
    CountDownLatch release = new CountDownLatch(1);
    Metasrv metasrv = electedWithASlowLeaderStart(election, release);

    assertThat(metasrv.leaderAddr()).contains(NODE.addr());
    assertThat(metasrv.isLeader()).isFalse();
    assertThatThrownBy(() -> metasrv.setMaintenance(true))
        .isInstanceOfSatisfying(NotLeaderException.class,
            e -> assertThat(e.getMessage()).contains("starting as leader"));

    release.countDown();
    await().until(() -> metasrv.state() == ServingState.LEADER);
    assertThat(metasrv.setMaintenance(true)).isTrue();
    metasrv.shutdown();
  }

  @Test
  void aLeaderStartThatEndsWhileTheNodeStopsDoesNotMakeItLeader() throws Exception {
    ManualElection election = new ManualElection();
    CountDownLatch release = new CountDownLatch(1);
    Metasrv metasrv = electedWithASlowLeaderStart(election, release);

    Thread stopper = new Thread(metasrv::shutdown);
    stopper.start();
    await().until(() -> metasrv.state() == ServingState.STOPPING);
    release.countDown();
    stopper.join();

    assertThat(metasrv.state()).isEqualTo(ServingState.STOPPED);
    assertThat(metasrv.isLeader()).isFalse();
    assertThat(metasrv.health()).isEqualTo(NodeHealth.NOT_SERVING);
  }

  /** A node that has been elected and whose leader start waits for {@code release}. */
  private Metasrv electedWithASlowLeaderStart(ManualElection election, CountDownLatch release)
      throws InterruptedException {
    CountDownLatch startEntered = new CountDownLatch(1);
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), election, () -> true);
    metasrv.addLeaderStateHandler(new Recording("slow") {
      @Override
      public void onLeaderStart() {
        startEntered.countDown();
        awaitUninterruptibly(release);
        super.onLeaderStart();
      }
    });
    metasrv.start();
    election.fire(new LeaderChange.Elected(NODE.addr(), 4));
    startEntered.await();
    return metasrv;
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aDatanodeForgottenAsIdleTakesItsFailureDetectorsWithIt() {
    MemoryKv store = new MemoryKv(KvLimits.DEFAULT);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Metasrv metasrv = new Metasrv(NODE, store, new StandaloneElection(), () -> true, registry,
        MetasrvOptions.defaults());
    long table = 1024;
    store.put(new TableRouteKey(table).toBytes(), PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(RegionId.of(table, 1)), new Peer(7, "10.0.0.7:4001")),
        RegionRoute.led(Region.of(RegionId.of(table, 2)), new Peer(8, "10.0.0.8:4001")),
        RegionRoute.led(Region.of(RegionId.of(table, 3)), new Peer(8, "10.0.0.8:4001"))))
        .encode());
    try {
      metasrv.start();
      await().until(() -> metasrv.state() == ServingState.LEADER);
      heartbeat(metasrv, 7, RegionId.of(table, 1));
      heartbeat(metasrv, 8, RegionId.of(table, 2), RegionId.of(table, 3));
      assertThat(registry.get("metasrv.region.watched").gauge().value()).isEqualTo(3);

      // datanode 8 and flownode 7 were last active two days ago; datanode 7 just now
      long now = System.currentTimeMillis();
      long maxIdle = Duration.ofDays(1).toMillis();
      long twoDaysAgo = now - 2 * maxIdle;
      metasrv.inMemoryView().put(ClusterKeys.nodeInfo(Role.DATANODE, 8), new NodeInfo(
          new Peer(8, "10.0.0.8:4001"), twoDaysAgo, new NodeStatus.Datanode(0, 0, 2, 0),
          "0.14.0", "abc", 1).encode());
      metasrv.inMemoryView().put(ClusterKeys.nodeInfo(Role.FLOWNODE, 7), new NodeInfo(
          new Peer(7, "10.0.0.70:4001"), twoDaysAgo, new NodeStatus.Flownode(), "0.14.0", "abc",
          1).encode());

      metasrv.removeIdleNodes(now, maxIdle);

      assertThat(metasrv.inMemoryView().get(ClusterKeys.nodeInfo(Role.DATANODE, 8))).isEmpty();
      assertThat(metasrv.inMemoryView().get(ClusterKeys.nodeInfo(Role.FLOWNODE, 7))).isEmpty();
      assertThat(registry.get("metasrv.region.watched").gauge().value())
          .as("datanode 8's two regions are no longer watched; datanode 7's region is, though a"
              + " flownode with the same id went")
          .isEqualTo(1);
    } finally {
      metasrv.shutdown();
    }
  }

  private static void heartbeat(Metasrv metasrv, long datanodeId, long... regionIds) {
    HeartbeatRequest.Builder request = HeartbeatRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setRole(Role.DATANODE)
            .setMemberId(datanodeId))
        .setPeer(io.metasrv.protocol.Peer.newBuilder().setId(datanodeId)
            .setAddr("10.0.0." + datanodeId + ":4001"))
        .setNodeEpoch(1)
        .setInfo(io.metasrv.protocol.NodeInfo.newBuilder().setVersion("0.14.0")
            .setGitCommit("abc").setStartTimeMs(1));
    for (long regionId : regionIds) {
      request.addRegionStats(RegionStat.newBuilder().setRegionId(regionId).setEngine("mito2")
          .setRole(RegionRole.Leader));
    }
    PusherKey key = metasrv.heartbeats().open(Role.DATANODE, datanodeId, response -> true);
    HeartbeatResponse response = metasrv.heartbeats().handle(key,
        ParsedHeartbeat.of(request.build()));
    assertThat(response.getRegionLease().getRegionsCount()).isEqualTo(regionIds.length);
  }

  @Test
  void aNodeThatCannotReachItsStoreIsNotServing() {
    AtomicBoolean reachable = new AtomicBoolean(true);
    Metasrv metasrv = new Metasrv(NODE, new MemoryKv(KvLimits.DEFAULT), new ManualElection(),
        reachable::get);
    metasrv.start();
    assertThat(metasrv.health()).isEqualTo(NodeHealth.FOLLOWER);
    reachable.set(false);
    assertThat(metasrv.health()).isEqualTo(NodeHealth.NOT_SERVING);
    reachable.set(true);
    assertThat(metasrv.health()).isEqualTo(NodeHealth.FOLLOWER);
    metasrv.shutdown();
  }

  private class Recording implements LeaderStateHandler {
    private final String name;

    Recording(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void onLeaderStart() {
      events.add(name + " started");
    }

    @Override
    public void onLeaderStop() {
      events.add(name + " stopped");
    }
  }

  /** An election the test drives by hand. */
  private static final class ManualElection implements Election {
    private volatile Consumer<LeaderChange> listener;
    private volatile boolean leading;
    private volatile boolean resigned;
    private volatile String otherLeader;

    void fire(LeaderChange change) {
      leading = change instanceof LeaderChange.Elected;
      listener.accept(change);
    }

    @Override
    public void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener) {
      this.listener = listener;
    }

    @Override
    public Optional<String> leader() {
      return leading ? Optional.of(NODE.addr()) : Optional.ofNullable(otherLeader);
    }

    @Override
    public boolean isLeader() {
      return leading;
    }

    @Override
    public void resign() {
      resigned = true;
      if (leading) {
        fire(new LeaderChange.StepDown(NODE.addr()));
      }
    }

    @Override
    public List<MetasrvNodeInfo> allCandidates() {
      return List.of(NODE);
    }

    @Override
    public void close() {
      resign();
    }
  }
}
