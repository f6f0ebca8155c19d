package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.fence.FencedException;
import io.metasrv.fence.FencedKv;
import io.metasrv.fence.LeaderEpoch;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.MemoryKv;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fencing with the Lease election, over a real store: the Lease's term becomes the stored
 * leader epoch, so a holder that was deposed without noticing cannot write as leader; and a
 * Lease deleted or recreated by hand, whose transitions start again from nothing, still gets
 * terms past the stored epoch, so the cluster leads again.
 */
class LeaseFencingTest {
  private static final KubernetesLeaseConfig CONFIG = KubernetesLeaseElectionTest.FAST;

  private final MockApiServer api = new MockApiServer();
  private final MemoryKv store = new MemoryKv();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  /** Elections whose term the store refused. */
  private final List<String> refused = new CopyOnWriteArrayList<>();

  /** A node whose store writes are fenced by the term it was last elected in. */
  private record FencedNode(KubernetesLeaseElection election, FencedKv kv, TcpProxy proxy,
      AtomicLong electedTerm) {}

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    api.close();
  }

  /** A node that keeps its epoch when it steps down, like one paused while it was deposed. */
  private FencedNode start(String addr) throws IOException {
    return start(addr, false);
  }

  /**
   * @param likeMetasrv whether the node does what {@code Metasrv} does: give its epoch up on
   *     step-down, and resign when it cannot take the epoch
   */
  private FencedNode start(String addr, boolean likeMetasrv) throws IOException {
    TcpProxy proxy = new TcpProxy(api.port());
    KubernetesClient client = MockApiServer.client(proxy.url(), CONFIG.requestTimeout());
    KubernetesLeaseElection election = new KubernetesLeaseElection(client, CONFIG,
        new LeaderEpoch(store)::current, System::nanoTime, Clock.systemUTC(), new SimpleMeterRegistry());
    toClose.add(proxy);
    toClose.add(client);
    toClose.add(election);
    FencedKv kv = new FencedKv(store, epoch -> { });
    AtomicLong electedTerm = new AtomicLong();
    election.start(new MetasrvNodeInfo(addr, "0.1.0", "abc1234567", 1L), change -> {
      if (change instanceof LeaderChange.Elected elected) {
        electedTerm.set(elected.term());
        try {
          kv.acquire(elected.term());
        } catch (FencedException e) {
          refused.add(addr + " term " + elected.term() + ": " + e.getMessage());
          if (likeMetasrv) {
            election.resign();
          }
        }
      } else if (likeMetasrv) {
        kv.release();
      }
    });
    return new FencedNode(election, kv, proxy, electedTerm);
  }

  @Test
  void storedEpochFollowsTheLeaseAndADeposedHolderCannotWrite() throws IOException {
    FencedNode first = start("10.0.0.1:3002");
    await("the first node to lead").atMost(Duration.ofSeconds(10))
        .until(() -> first.kv().heldEpoch() > 0);
    FencedNode second = start("10.0.0.2:3002");
    assertThat(first.kv().heldEpoch()).isEqualTo(first.electedTerm().get());
    assertThat(new LeaderEpoch(store).current()).isEqualTo(first.electedTerm().get());
    first.kv().put(Bytes.utf8("written-by"), Bytes.utf8("first"));

    first.proxy().cut();
    await("the second node to take over").atMost(Duration.ofSeconds(10))
        .until(() -> second.kv().heldEpoch() > 0);

    assertThat(second.electedTerm().get()).isGreaterThan(first.electedTerm().get());
    assertThat(new LeaderEpoch(store).current()).isEqualTo(second.electedTerm().get());
    assertThatThrownBy(() -> first.kv().put(Bytes.utf8("written-by"), Bytes.utf8("first")))
        .isInstanceOf(FencedException.class);
    second.kv().put(Bytes.utf8("written-by"), Bytes.utf8("second"));
    assertThat(Bytes.utf8(store.get(Bytes.utf8("written-by")).orElseThrow().value()))
        .isEqualTo("second");
  }

  private void deleteElectionLease() {
    try (KubernetesClient client = api.client()) {
      client.leases().inNamespace(MockApiServer.NAMESPACE).withName(CONFIG.leaseName()).delete();
    }
  }

  @Test
  void deletedLeaseIsTakenAgainWithATermPastTheStoredEpoch() throws IOException {
    FencedNode first = start("10.0.0.1:3002", true);
    FencedNode second = start("10.0.0.2:3002", true);
    await("a first leader").atMost(Duration.ofSeconds(10))
        .until(() -> first.kv().heldEpoch() > 0 || second.kv().heldEpoch() > 0);
    long before = new LeaderEpoch(store).current();

    deleteElectionLease();

    // the new Lease's transitions start from nothing; its term must still pass the epoch, or
    // every leader would be refused by the store and resign, for ever
    await("a leader holding a newer epoch").atMost(Duration.ofSeconds(10))
        .until(() -> new LeaderEpoch(store).current() > before
            && (first.kv().heldEpoch() == new LeaderEpoch(store).current()
                || second.kv().heldEpoch() == new LeaderEpoch(store).current()));
    FencedNode leader = first.kv().heldEpoch() == new LeaderEpoch(store).current()
        ? first : second;
    assertThat(leader.electedTerm().get()).isEqualTo(before + 1);
    assertThat(leader.election().isLeader()).isTrue();
    leader.kv().put(Bytes.utf8("written-by"), Bytes.utf8("new leader"));
    assertThat(refused).as("terms the store refused").isEmpty();
  }

  @Test
  void leaseReplacedByHandWithoutHistoryIsTakenWithATermPastTheStoredEpoch()
      throws IOException {
    // a store that an earlier installation led up to epoch 41
    new FencedKv(store, epoch -> { }).acquire(41);
    FencedNode only = start("10.0.0.1:3002", true);
    await("the first leader").atMost(Duration.ofSeconds(10))
        .until(() -> only.kv().heldEpoch() > 0);
    assertThat(only.electedTerm().get()).isEqualTo(42);

    // kubectl replace with a Lease written from scratch: no holder, no transitions
    try (KubernetesClient client = api.client()) {
      Lease current = client.leases().inNamespace(MockApiServer.NAMESPACE)
          .withName(CONFIG.leaseName()).get();
      client.leases().inNamespace(MockApiServer.NAMESPACE).resource(new LeaseBuilder()
          .withMetadata(current.getMetadata()).withNewSpec().endSpec().build()).update();
    }

    await("the node to lead again under a newer epoch").atMost(Duration.ofSeconds(10))
        .until(() -> only.kv().heldEpoch() == 43);
    assertThat(only.electedTerm().get()).isEqualTo(43);
    assertThat(new LeaderEpoch(store).current()).isEqualTo(43);
    assertThat(refused).as("terms the store refused").isEmpty();
  }

  @Test
  void holderOfADeletedLeaseIsFencedOnceAPeerLeadsUnderTheNewLease() throws IOException {
    FencedNode first = start("10.0.0.1:3002");
    await("the first node to lead").atMost(Duration.ofSeconds(10))
        .until(() -> first.kv().heldEpoch() > 0);
    long firstEpoch = first.kv().heldEpoch();
    FencedNode second = start("10.0.0.2:3002");
    // the first node is cut off before the Lease goes, so it cannot take the new Lease itself
    first.proxy().cut();
    deleteElectionLease();

    await("the second node to lead").atMost(Duration.ofSeconds(10))
        .until(() -> second.kv().heldEpoch() > 0);
    assertThat(second.kv().heldEpoch()).isGreaterThan(firstEpoch);
    assertThatThrownBy(() -> first.kv().put(Bytes.utf8("written-by"), Bytes.utf8("first")))
        .isInstanceOf(FencedException.class);
    second.kv().put(Bytes.utf8("written-by"), Bytes.utf8("second"));
  }
}
