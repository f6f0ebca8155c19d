package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fencing is unchanged with the Lease election: the store's leader epoch becomes the Lease's
 * transitions, so a holder that was deposed without noticing cannot write as leader.
 */
class LeaseFencingTest {
  private static final KubernetesLeaseConfig CONFIG = KubernetesLeaseElectionTest.FAST;

  private final MockApiServer api = new MockApiServer();
  private final MemoryKv store = new MemoryKv();
  private final List<AutoCloseable> toClose = new ArrayList<>();

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

  private FencedNode start(String addr) throws IOException {
    TcpProxy proxy = new TcpProxy(api.port());
    KubernetesClient client = MockApiServer.client(proxy.url(), CONFIG.requestTimeout());
    KubernetesLeaseElection election = new KubernetesLeaseElection(client, CONFIG,
        new LeaderEpoch(store)::current, System::nanoTime, Clock.systemUTC(), new SimpleMeterRegistry());
    toClose.add(proxy);
    toClose.add(client);
    toClose.add(election);
    // like a node paused while it was deposed: it keeps its epoch, whatever the election says
    FencedKv kv = new FencedKv(store, epoch -> { });
    AtomicLong electedTerm = new AtomicLong();
    election.start(new MetasrvNodeInfo(addr, "0.1.0", "abc1234567", 1L), change -> {
      if (change instanceof LeaderChange.Elected elected) {
        electedTerm.set(elected.term());
        kv.acquire(elected.term());
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
}
