package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.metasrv.election.Election;
import io.metasrv.election.ElectionContractTest;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.fence.LeaderEpoch;
import io.metasrv.kv.MemoryKv;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KubernetesLeaseElectionTest extends ElectionContractTest {
  /** The benchmark's fast timings: lease 2 s, renew deadline 1.5 s, retry period 0.5 s. */
  static final KubernetesLeaseConfig FAST = new KubernetesLeaseConfig(MockApiServer.NAMESPACE,
      "metasrv-election", Duration.ofSeconds(2), Duration.ofMillis(1500),
      Duration.ofMillis(500));
  /**
   * Followers that read the Lease only every 20 s: whatever takes over sooner than that learnt
   * of the change from the watch.
   */
  static final KubernetesLeaseConfig SLOW_POLL = new KubernetesLeaseConfig(
      MockApiServer.NAMESPACE, "metasrv-election", Duration.ofSeconds(60), Duration.ofSeconds(45),
      Duration.ofSeconds(20));
  /** A Lease MicroTime as the API server accepts it: exactly six fractional digits. */
  private static final Pattern MICRO_TIME =
      Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");

  private MockApiServer api;
  /** The timings of the nodes a test starts. */
  private KubernetesLeaseConfig config = FAST;
  /** The store every node's leader epoch would be fenced in; nothing stores epochs here. */
  private final LeaderEpoch storedEpoch = new LeaderEpoch(new MemoryKv());
  private final Map<Election, TcpProxy> proxies = new HashMap<>();
  private final Map<String, MeterRegistry> metrics = new HashMap<>();
  private final Map<String, Clock> wallClocks = new HashMap<>();

  @BeforeEach
  void startApiServer() {
    api = new MockApiServer();
    closeAfterNodes(api);
  }

  @Override
  protected Election newElection(String addr) {
    TcpProxy proxy;
    try {
      proxy = new TcpProxy(api.port());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    closeAfterNodes(proxy);
    KubernetesClient client = MockApiServer.client(proxy.url(), config.requestTimeout());
    closeAfterNodes(client);
    MeterRegistry registry = new SimpleMeterRegistry();
    metrics.put(addr, registry);
    KubernetesLeaseElection election = new KubernetesLeaseElection(client, config,
        storedEpoch::current, System::nanoTime, wallClocks.getOrDefault(addr, Clock.systemUTC()), registry);
    proxies.put(election, proxy);
    return election;
  }

  @Override
  protected void crash(Election election) {
    cut(election);
    election.close();
  }

  /**
   * A peer takes over at once when its watch reports the release, else at its next read; the
   * bound leaves a loaded machine seconds of slack. That the watch, not the next read, makes
   * the handover is shown by {@link #followerTakesAReleasedLeaseOverBeforeItsNextRead()}.
   */
  @Override
  protected Duration plannedHandover() {
    return FAST.retryPeriod().plusSeconds(3);
  }

  /** Expiry plus a read, with seconds of slack for a loaded machine. */
  @Override
  protected Duration crashHandover() {
    return FAST.leaseDuration().plus(FAST.retryPeriod()).plusSeconds(3);
  }

  private void cut(Election election) {
    try {
      proxies.get(election).cut();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void heal(Election election) {
    try {
      proxies.get(election).heal();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Lease electionLease() {
    try (KubernetesClient client = api.client()) {
      return client.leases().inNamespace(MockApiServer.NAMESPACE).withName(FAST.leaseName())
          .get();
    }
  }

  @Test
  void leaseNamesTheLeaderAndItsTransitionsAreTheTerm() throws Exception {
    startNodes(2);
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));

    Lease lease = electionLease();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.addr());
    assertThat((long) lease.getSpec().getLeaseTransitions()).isEqualTo(leader.lastTerm());
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(2);

    MeterRegistry registry = metrics.get(leader.addr());
    assertThat(registry.get("metasrv.election.term").gauge().value())
        .isEqualTo((double) leader.lastTerm());
    assertThat(registry.get("metasrv.election.leader.changes").tag("event", "elected")
        .counter().count()).isEqualTo(1.0);
    await("renewals to be timed").atMost(Duration.ofSeconds(3))
        .until(() -> registry.get("metasrv.election.renew").timer().count() >= 2);

    leader.election.resign();
    assertThat(registry.get("metasrv.election.term").gauge().value()).isZero();
    assertThat(registry.get("metasrv.election.leader.changes").tag("event", "step_down")
        .counter().count()).isEqualTo(1.0);
  }

  @Test
  void leaseTimesAreMicroTimesWithSixFractionalDigits() throws Exception {
    startNode("10.0.0.1:3002");
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));

    // the server keeps the JSON as the client sent it, so this is what a real one would parse
    String raw = api.rawLease(FAST.leaseName());
    for (String field : List.of("acquireTime", "renewTime")) {
      java.util.regex.Matcher value =
          Pattern.compile("\"" + field + "\"\\s*:\\s*\"([^\"]*)\"").matcher(raw);
      assertThat(value.find()).as("%s in %s", field, raw).isTrue();
      assertThat(value.group(1)).as(field).matches(MICRO_TIME);
    }
    await("the candidate Lease").atMost(Duration.ofSeconds(5))
        .until(() -> !leader.election.allCandidates().isEmpty());
    String candidate = api.rawLease(FAST.leaseName() + "-candidate-10.0.0.1-3002");
    assertThat(Pattern.compile("\"renewTime\"\\s*:\\s*\"([^\"]*)\"").matcher(candidate)
        .results().map(m -> m.group(1)).toList()).singleElement().asString()
        .matches(MICRO_TIME);
  }

  @Test
  void resignClearsTheHolderInTheStoredLease() throws Exception {
    // A resigned node stays out for two retry periods (40 s here), so the Lease read below
    // cannot find it taken again, however slowly a loaded machine gets there (FAST's 1 s did).
    config = SLOW_POLL;
    Node only = startNode("10.0.0.1:3002");
    awaitSingleLeader(Duration.ofSeconds(10));

    only.election.resign();

    // a merge patch leaving the field out would keep the holder; the stored Lease must not
    assertThat(api.rawLease(FAST.leaseName())).doesNotContain("holderIdentity");
    assertThat(electionLease().getSpec().getHolderIdentity()).isNull();
  }

  @Test
  void reacquiringByTheSameNodeStartsANewTerm() {
    Node only = startNode("10.0.0.1:3002");
    awaitSingleLeader(Duration.ofSeconds(10));
    long first = only.lastTerm();

    only.election.resign();

    await("the lone node to lead again").atMost(FAST.resignPause().plusSeconds(2))
        .until(only::leadsAndKnowsIt);
    assertThat(only.lastTerm()).isEqualTo(first + 1);
    assertThat((long) electionLease().getSpec().getLeaseTransitions()).isEqualTo(first + 1);
  }

  @Test
  void conflictingUpdateIsRetriedNotFatal() {
    startNodes(3);
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));
    long term = leader.lastTerm();

    // another writer changes the Lease: the leader's next renewal names a stale version (409)
    String annotatedVersion;
    try (KubernetesClient client = api.client()) {
      Lease current = electionLease();
      current.getMetadata().setAnnotations(Map.of("touched-by", "kubectl"));
      annotatedVersion = client.leases().inNamespace(MockApiServer.NAMESPACE).resource(current)
          .update().getMetadata().getResourceVersion();
    }

    // renewed on top of the other writer's version, so its change survives
    await("the leader to renew on the new version").atMost(Duration.ofSeconds(3))
        .until(() -> {
          Lease lease = electionLease();
          return !lease.getMetadata().getResourceVersion().equals(annotatedVersion)
              && lease.getMetadata().getAnnotations() != null
              && "kubectl".equals(lease.getMetadata().getAnnotations().get("touched-by"))
              && leader.addr().equals(lease.getSpec().getHolderIdentity());
        });
    await("leadership to stay put").during(FAST.leaseDuration())
        .atMost(FAST.leaseDuration().plusSeconds(2))
        .until(() -> leader.leadsAndKnowsIt() && leader.lastTerm() == term);
    assertThat(leader.events).hasSize(1);
  }

  @ParameterizedTest(name = "wall clock {0} s off")
  @ValueSource(ints = {-300, 300})
  void leaderWithSkewedWallClockKeepsLeadingAndIsReplacedOnTimeWhenItCrashes(int skewSeconds) {
    wallClocks.put("10.0.0.9:3002",
        Clock.offset(Clock.systemUTC(), Duration.ofSeconds(skewSeconds)));
    Node skewed = startNode("10.0.0.9:3002");
    awaitSingleLeader(Duration.ofSeconds(10));
    startNodes(2);

    await("the skewed leader to keep leading").during(FAST.leaseDuration().multipliedBy(2))
        .atMost(FAST.leaseDuration().multipliedBy(2).plusSeconds(2))
        .until(() -> skewed.leadsAndKnowsIt()
            && liveNodes().stream().filter(n -> n.election.isLeader()).count() == 1);

    long crashedAt = System.nanoTime();
    skewed.crash();
    Node successor = awaitNewLeader(skewed, crashHandover());
    report("skewed leader crash -> new leader", millisSince(crashedAt, electedAtNanos(successor)));
  }

  @ParameterizedTest(name = "wall clock {0} s off")
  @ValueSource(ints = {-300, 300})
  void followerWithSkewedWallClockNeitherStealsNorWaitsForItsClock(int skewSeconds) {
    Node leader = startNode("10.0.0.1:3002");
    awaitSingleLeader(Duration.ofSeconds(10));
    wallClocks.put("10.0.0.9:3002",
        Clock.offset(Clock.systemUTC(), Duration.ofSeconds(skewSeconds)));
    Node skewed = startNode("10.0.0.9:3002");

    await("the leader to keep leading").during(FAST.leaseDuration().multipliedBy(2))
        .atMost(FAST.leaseDuration().multipliedBy(2).plusSeconds(2))
        .until(() -> leader.leadsAndKnowsIt() && !skewed.election.isLeader());
    assertThat(skewed.events).isEmpty();

    long crashedAt = System.nanoTime();
    leader.crash();
    awaitNewLeader(leader, crashHandover());
    report("crash -> skewed follower leads", millisSince(crashedAt, electedAtNanos(skewed)));
  }

  @Test
  void cutOffLeaderStepsDownBeforeAPeerTakesOver() {
    startNodes(3);
    Node cutOff = awaitSingleLeader(Duration.ofSeconds(10));

    long cutAt = System.nanoTime();
    cut(cutOff.election);

    await("the cut-off leader to step down").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> cutOff.lastEvent().orElseThrow().change()
            instanceof LeaderChange.StepDown);
    long steppedDownAt = cutOff.lastEvent().orElseThrow().atNanos();

    Node successor = awaitNewLeader(cutOff, crashHandover().plus(FAST.retryPeriod()));
    report("renewals cut -> leader stepped down", millisSince(cutAt, steppedDownAt));
    report("renewals cut -> peer elected", millisSince(cutAt, electedAtNanos(successor)));
    // the renew deadline is shorter than the lease duration: the old leader has let go, and
    // been told so, before a peer can take its Lease
    assertThat(electedAtNanos(successor)).isGreaterThan(steppedDownAt);

    heal(cutOff.election);
    await("the healed node to follow " + successor).atMost(Duration.ofSeconds(5))
        .until(() -> cutOff.election.leader().equals(Optional.of(successor.addr())));
    assertThat(awaitSingleLeader(Duration.ofSeconds(1))).isSameAs(successor);
  }

  @Test
  void leaderStepsDownWhileTheApiServerIsGoneAndOneNodeLeadsAfterItReturns() {
    List<Node> started = startNodes(3);
    Node before = awaitSingleLeader(Duration.ofSeconds(10));

    long goneAt = System.nanoTime();
    started.forEach(node -> cut(node.election));

    await("the leader to step down").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> before.lastEvent().orElseThrow().change() instanceof LeaderChange.StepDown);
    long steppedDownAt = before.lastEvent().orElseThrow().atNanos();
    report("API server gone -> leader stepped down", millisSince(goneAt, steppedDownAt));
    await("nobody to lead while the API server is gone").during(FAST.leaseDuration())
        .atMost(FAST.leaseDuration().plusSeconds(1))
        .until(() -> started.stream().noneMatch(n -> n.election.isLeader()));

    long backAt = System.nanoTime();
    started.forEach(node -> heal(node.election));
    Node after = awaitSingleLeader(Duration.ofSeconds(10));
    report("API server back -> leader elected", millisSince(backAt, electedAtNanos(after)));
    await("leadership to stay put").during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
        .until(() -> started.stream().filter(n -> n.election.isLeader()).toList()
            .equals(List.of(after)));
    await("every node to name " + after + " as leader").atMost(Duration.ofSeconds(5))
        .until(() -> started.stream()
            .allMatch(n -> n.election.leader().equals(Optional.of(after.addr()))));
  }

  @Test
  void candidateLeaseCarriesTheNodeInfoAndTheClusterLabel() {
    Node node = startNode("10.0.0.7:3002");
    String name = FAST.leaseName() + "-candidate-10.0.0.7-3002";

    await("the candidate Lease").atMost(Duration.ofSeconds(5))
        .until(() -> node.election.allCandidates().equals(List.of(node.info)));
    Lease lease;
    try (KubernetesClient client = api.client()) {
      lease = client.leases().inNamespace(MockApiServer.NAMESPACE).withName(name).get();
    }
    assertThat(lease.getMetadata().getLabels())
        .containsEntry("metasrv.io/election", FAST.leaseName());
    MetasrvNodeInfo info = node.info;
    assertThat(lease.getMetadata().getAnnotations()).containsAllEntriesOf(Map.of(
        "metasrv.io/addr", info.addr(),
        "metasrv.io/version", info.version(),
        "metasrv.io/git-commit", info.gitCommit(),
        "metasrv.io/start-time-ms", Long.toString(info.startTimeMs())));
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(info.addr());

    node.close();
    try (KubernetesClient client = api.client()) {
      assertThat(client.leases().inNamespace(MockApiServer.NAMESPACE).withName(name).get())
          .as("candidate Lease after close").isNull();
    }
  }

  @Test
  void followerTakesAReleasedLeaseOverBeforeItsNextRead() {
    config = SLOW_POLL;
    List<Node> started = startNodes(2);
    Node first = awaitSingleLeader(Duration.ofSeconds(10));
    Node second = started.get(0) == first ? started.get(1) : started.get(0);
    await("the follower to watch the Lease").atMost(Duration.ofSeconds(10))
        .until(((KubernetesLeaseElection) second.election)::watching);

    long resignedAt = System.nanoTime();
    first.election.resign();

    // the follower last read the Lease when it started, and reads it next a retry period (20 s)
    // after that: leading within half of it, it learnt of the release from the watch
    awaitNewLeader(first, SLOW_POLL.retryPeriod().dividedBy(2));
    report("resign -> follower leads, 20 s retry period", millisSince(resignedAt,
        electedAtNanos(second)));
  }

  @Test
  void leaderDeletesTheCandidateLeasesOfGoneNodes() {
    MetasrvNodeInfo gone = new MetasrvNodeInfo("10.0.0.99:3002", "0.1.0", "abc1234567", 1L);
    String goneName = CandidateLeases.nameOf(FAST.leaseName(), gone.addr());
    try (KubernetesClient client = api.client()) {
      // the Lease a crashed node left behind: nobody renews it
      LeaseCalls calls = new LeaseCalls(client, MockApiServer.NAMESPACE, Clock.systemUTC());
      calls.create(new CandidateLeases(calls, FAST, System::nanoTime)
          .registration(gone, null, calls.microTimeNow()));
    }
    List<Node> started = startNodes(2);
    awaitSingleLeader(Duration.ofSeconds(10));

    // unchanged for 3 lease durations (6 s) as seen by the leader, which sweeps every 2 s
    await("the gone node's candidate Lease to be deleted").atMost(Duration.ofSeconds(30))
        .until(() -> candidateLease(goneName) == null);
    for (Node node : started) {
      assertThat(candidateLease(CandidateLeases.nameOf(FAST.leaseName(), node.addr())))
          .as("candidate Lease of live node %s", node).isNotNull();
    }
  }

  private Lease candidateLease(String name) {
    try (KubernetesClient client = api.client()) {
      return client.leases().inNamespace(MockApiServer.NAMESPACE).withName(name).get();
    }
  }
}
