package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.metasrv.election.MetasrvNodeInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A candidate is live while its Lease keeps changing, judged on a clock the test moves. */
class CandidateLeasesTest {
  private static final KubernetesLeaseConfig CONFIG = KubernetesLeaseElectionTest.FAST;

  private final MockApiServer api = new MockApiServer();
  private final KubernetesClient client = api.client();
  private final LeaseCalls calls = new LeaseCalls(client, MockApiServer.NAMESPACE,
      Clock.systemUTC());
  private long clock = TimeUnit.SECONDS.toNanos(100);
  private final CandidateLeases candidates = new CandidateLeases(calls, CONFIG, () -> clock);

  @AfterEach
  void stop() {
    client.close();
    api.close();
  }

  private static MetasrvNodeInfo node(String addr) {
    return new MetasrvNodeInfo(addr, "0.1.0", "abc1234567", 1_700_000_000_000L);
  }

  private Lease register(MetasrvNodeInfo node) {
    return calls.create(candidates.registration(node, null, calls.microTimeNow()));
  }

  @Test
  void candidateUnchangedForItsExpiryIsNoLongerListed() {
    MetasrvNodeInfo renewing = node("10.0.0.1:3002");
    MetasrvNodeInfo crashed = node("10.0.0.2:3002");
    Lease renewingLease = register(renewing);
    register(crashed);
    assertThat(candidates.live()).containsExactlyInAnyOrder(renewing, crashed);

    clock += CONFIG.candidateExpiry().toNanos() - 1;
    renewingLease = calls.update(candidates.registration(renewing, renewingLease,
        calls.microTimeNow()));
    assertThat(candidates.live()).containsExactlyInAnyOrder(renewing, crashed);

    clock += 1;
    assertThat(candidates.live()).containsExactly(renewing);

    register(node("10.0.0.3:3002"));
    assertThat(candidates.live()).containsExactlyInAnyOrder(renewing, node("10.0.0.3:3002"));
  }

  @Test
  void onlyThisClustersLeasesWithReadableNodeInfoAreListed() {
    MetasrvNodeInfo member = node("10.0.0.1:3002");
    register(member);
    KubernetesLeaseConfig otherCluster = new KubernetesLeaseConfig(MockApiServer.NAMESPACE,
        "other-election", Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(500));
    CandidateLeases others = new CandidateLeases(calls, otherCluster, () -> clock);
    calls.create(others.registration(node("10.0.0.9:3002"), null, calls.microTimeNow()));
    Lease broken = candidates.registration(node("10.0.0.5:3002"), null, calls.microTimeNow());
    broken.getMetadata().getAnnotations().remove(CandidateLeases.START_TIME_MS);
    calls.create(broken);

    assertThat(candidates.live()).containsExactly(member);
  }

  @Test
  void candidateLeaseNamesArePredictableKubernetesNames() {
    assertThat(CandidateLeases.nameOf(CONFIG.leaseName(), "10.0.0.7:3002"))
        .isEqualTo("metasrv-election-candidate-10.0.0.7-3002");
    assertThat(CandidateLeases.nameOf(CONFIG.leaseName(), "metasrv-0.metasrv.greptime.svc:3002"))
        .isEqualTo("metasrv-election-candidate-metasrv-0.metasrv.greptime.svc-3002");
    assertThat(CandidateLeases.nameOf(CONFIG.leaseName(), "[fd00::1]:3002"))
        .isEqualTo("metasrv-election-candidate-fd00--1--3002");
  }

  private Lease stored(MetasrvNodeInfo node) {
    return calls.get(CandidateLeases.nameOf(CONFIG.leaseName(), node.addr()));
  }

  @Test
  void onlyLeasesUnchangedForTheExpiryAreDeleted() {
    MetasrvNodeInfo renewing = node("10.0.0.1:3002");
    MetasrvNodeInfo crashed = node("10.0.0.2:3002");
    Lease renewingLease = register(renewing);
    register(crashed);
    KubernetesLeaseConfig otherCluster = new KubernetesLeaseConfig(MockApiServer.NAMESPACE,
        "other-election", Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(500));
    CandidateLeases others = new CandidateLeases(calls, otherCluster, () -> clock);
    MetasrvNodeInfo otherClusters = node("10.0.0.9:3002");
    calls.create(others.registration(otherClusters, null, calls.microTimeNow()));
    assertThat(candidates.deleteStale()).isZero();

    clock += CONFIG.candidateExpiry().toNanos() - 1;
    renewingLease = calls.update(candidates.registration(renewing, renewingLease,
        calls.microTimeNow()));
    assertThat(candidates.deleteStale()).as("one nanosecond before the expiry").isZero();
    assertThat(stored(crashed)).isNotNull();

    clock += 1;
    assertThat(candidates.deleteStale()).isEqualTo(1);
    assertThat(stored(crashed)).isNull();
    assertThat(stored(renewing)).isNotNull();
    assertThat(calls.get(CandidateLeases.nameOf(otherCluster.leaseName(),
        otherClusters.addr()))).as("another cluster's candidate").isNotNull();
    assertThat(candidates.live()).containsExactly(renewing);
  }
}
