package io.metasrv.election.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import io.metasrv.election.Election;
import io.metasrv.election.ElectionContractTest;
import io.metasrv.election.LeaderChange;
import io.metasrv.testing.EtcdProcess;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EtcdElectionTest extends ElectionContractTest {
  /** etcd's smallest lease (with its default raft timings) and a renewal four times as often. */
  static final EtcdElectionConfig FAST = new EtcdElectionConfig(
      Duration.ofSeconds(2), Duration.ofMillis(500),
      Duration.ofSeconds(4), Duration.ofSeconds(1),
      Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofMillis(500),
      Duration.ofMillis(300));

  private EtcdProcess etcd;
  private String prefix;
  private final Map<Election, EtcdPartition> partitions = new HashMap<>();
  private final Map<String, MeterRegistry> metrics = new HashMap<>();

  @BeforeEach
  void useSharedEtcd() {
    etcd = EtcdProcess.shared();
    prefix = "/election-test-" + UUID.randomUUID() + "/";
  }

  @Override
  protected Election newElection(String addr) {
    EtcdPartition partition = new EtcdPartition();
    Client client = Client.builder().endpoints(etcd.endpoint()).interceptor(partition).build();
    closeAfterNodes(client);
    MeterRegistry registry = new SimpleMeterRegistry();
    metrics.put(addr, registry);
    EtcdElection election = new EtcdElection(client, prefix, FAST, System::nanoTime, registry);
    partitions.put(election, partition);
    return election;
  }

  @Override
  protected void crash(Election election) {
    partitions.get(election).cut();
    election.close();
  }

  @Override
  protected Duration plannedHandover() {
    return Duration.ofMillis(500);
  }

  @Override
  protected Duration crashHandover() {
    return FAST.leaderLeaseTtl().plusSeconds(1);
  }

  private Client testClient() {
    Client client = Client.builder().endpoints(etcd.endpoint()).build();
    closeAfterNodes(client);
    return client;
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  @Test
  void leaderKeyHoldsTheLeaderAddressAndItsCreateRevisionIsTheTerm() throws Exception {
    startNodes(2);
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));

    KeyValue key = testClient().getKVClient().get(bytes(prefix + "__metasrv_election"))
        .get(5, TimeUnit.SECONDS).getKvs().get(0);
    assertThat(key.getValue().toString(StandardCharsets.UTF_8)).isEqualTo(leader.addr());
    assertThat(key.getCreateRevision()).isEqualTo(leader.lastTerm());
    assertThat(key.getLease()).isNotZero();

    MeterRegistry registry = metrics.get(leader.addr());
    assertThat(registry.get("metasrv.election.term").gauge().value())
        .isEqualTo((double) leader.lastTerm());
    assertThat(registry.get("metasrv.election.leader.changes").tag("event", "elected")
        .counter().count()).isEqualTo(1.0);
    await("lease renewals to be timed").atMost(Duration.ofSeconds(3))
        .until(() -> registry.get("metasrv.election.keepalive").timer().count() >= 2);

    leader.election.resign();
    assertThat(registry.get("metasrv.election.term").gauge().value()).isZero();
    assertThat(registry.get("metasrv.election.leader.changes").tag("event", "step_down")
        .counter().count()).isEqualTo(1.0);
  }

  @Test
  void candidateKeyHoldsNodeInfoAsGreptimeDbJsonOnItsOwnLease() throws Exception {
    Node node = startNode("10.0.0.7:3002");
    Client client = testClient();
    ByteSequence key = bytes(prefix + "__metasrv_election_candidates/10.0.0.7:3002");

    await("candidate key").atMost(Duration.ofSeconds(5))
        .until(() -> client.getKVClient().get(key).get().getCount() == 1);
    KeyValue kv = client.getKVClient().get(key).get(5, TimeUnit.SECONDS).getKvs().get(0);

    Map<?, ?> json = new ObjectMapper().readValue(kv.getValue().getBytes(), Map.class);
    assertThat(json).isEqualTo(Map.of("addr", "10.0.0.7:3002", "version", "0.1.0-test",
        "git_commit", "abc1234567", "start_time_ms", node.info.startTimeMs()));
    assertThat(client.getLeaseClient().timeToLive(kv.getLease(), LeaseOption.DEFAULT)
        .get(5, TimeUnit.SECONDS).getGrantedTTL())
        .isEqualTo(FAST.candidateLeaseTtl().toSeconds());
  }

  @Test
  void candidateRegistersAgainWhenItsLeaseIsLost() throws Exception {
    startNode("10.0.0.8:3002");
    Client client = testClient();
    ByteSequence key = bytes(prefix + "__metasrv_election_candidates/10.0.0.8:3002");
    await("candidate key").atMost(Duration.ofSeconds(5))
        .until(() -> client.getKVClient().get(key).get().getCount() == 1);
    long lostLease = client.getKVClient().get(key).get(5, TimeUnit.SECONDS).getKvs().get(0)
        .getLease();

    client.getLeaseClient().revoke(lostLease).get(5, TimeUnit.SECONDS);

    await("candidate key on a new lease")
        .atMost(FAST.candidateKeepAliveInterval().plusSeconds(2))
        .until(() -> client.getKVClient().get(key).get().getKvs().stream()
            .anyMatch(kv -> kv.getLease() != lostLease));
  }

  @Test
  void leaderWhoseRenewalsFailStepsDownBeforeItsLeaseCanExpire() {
    startNodes(3);
    Node cutOff = awaitSingleLeader(Duration.ofSeconds(10));

    long cutAt = System.nanoTime();
    partitions.get(cutOff.election).cut();

    await("the cut-off leader to step down").atMost(FAST.leaderLeaseTtl())
        .pollInterval(Duration.ofMillis(5))
        .until(() -> cutOff.lastEvent().orElseThrow().change()
            instanceof LeaderChange.StepDown);
    long steppedDownAt = cutOff.lastEvent().orElseThrow().atNanos();
    // Its last successful renewal was sent before the cut, so it must stop before etcd can
    // expire its lease and elect a peer (how soon after its validity ends is for the benchmark).
    assertThat(millisSince(cutAt, steppedDownAt))
        .isLessThan(FAST.leaderLeaseTtl().toMillis());

    Node successor = awaitNewLeader(cutOff, FAST.leaderLeaseTtl().plusSeconds(2));
    report("renewals cut -> leader stepped down", millisSince(cutAt, steppedDownAt));
    report("renewals cut -> peer elected", millisSince(cutAt, electedAtNanos(successor)));
    assertThat(electedAtNanos(successor)).isGreaterThan(steppedDownAt);

    partitions.get(cutOff.election).heal();
    await("the healed node to follow " + successor).atMost(Duration.ofSeconds(5))
        .until(() -> cutOff.election.leader().equals(Optional.of(successor.addr())));
    assertThat(awaitSingleLeader(Duration.ofSeconds(1))).isSameAs(successor);
  }

  @Test
  void leaderStepsDownWhileEtcdIsDownAndOneNodeLeadsAfterItsRestart() {
    etcd = EtcdProcess.start();
    closeAfterNodes(etcd);
    List<Node> started = startNodes(3);
    Node before = awaitSingleLeader(Duration.ofSeconds(10));

    long stoppedAt = System.nanoTime();
    etcd.stop();

    await("the leader to step down").atMost(FAST.leaderLeaseTtl())
        .pollInterval(Duration.ofMillis(5))
        .until(() -> before.lastEvent().orElseThrow().change() instanceof LeaderChange.StepDown);
    long steppedDownAt = before.lastEvent().orElseThrow().atNanos();
    report("etcd stopped -> leader stepped down", millisSince(stoppedAt, steppedDownAt));
    assertThat(millisSince(stoppedAt, steppedDownAt))
        .isLessThan(FAST.leaderLeaseTtl().toMillis());
    assertThat(started).noneMatch(n -> n.election.isLeader());

    long restartedAt = System.nanoTime();
    etcd.restart();
    Node after = awaitSingleLeader(Duration.ofSeconds(20));
    report("etcd restarted -> leader elected", millisSince(restartedAt, electedAtNanos(after)));
    await("leadership to stay put").during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
        .until(() -> started.stream().filter(n -> n.election.isLeader()).toList()
            .equals(List.of(after)));
    await("every node to name " + after + " as leader").atMost(Duration.ofSeconds(5))
        .until(() -> started.stream()
            .allMatch(n -> n.election.leader().equals(Optional.of(after.addr()))));
  }
}
