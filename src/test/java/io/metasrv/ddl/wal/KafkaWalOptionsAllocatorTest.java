package io.metasrv.ddl.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.metasrv.config.WalOptions;
import io.metasrv.ddl.WalOptionsAllocator;
import io.metasrv.ddl.WalOptionsUnavailableException;
import io.metasrv.fence.FencedKv;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.TopicNameKey;
import io.metasrv.testing.FreePorts;
import io.metasrv.testing.KafkaBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Kafka WAL against a real broker in this JVM ({@link KafkaBroker}), with the leader's store in
 * memory: topics created once, recorded keys matching the broker, leadership not waiting for a
 * broker that is down.
 */
class KafkaWalOptionsAllocatorTest {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final KvBackend kv = new MemoryKv();
  private final String prefix = "wal_test_" + PREFIXES.incrementAndGet() + "_" + System.nanoTime();
  private WalOptionsAllocator leader;

  @AfterEach
  void stopLeader() {
    if (leader != null) {
      leader.onLeaderStop();
    }
  }

  @Test
  void leaderStartCreatesThePoolAndRecordsExactlyWhatTheBrokerHas() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    try (Admin admin = admin(broker)) {
      // a topic of the pool that exists without a key: created by a leader that died before
      // recording it; taken as it is
      admin.createTopics(List.of(new NewTopic(prefix + "_0", 2, (short) 1))).all().get();
    }
    WalOptions wal = kafka(broker.bootstrapServers(), 3, true);

    leader = startLeader(wal);
    awaitReady(leader);

    List<String> pool = List.of(prefix + "_0", prefix + "_1", prefix + "_2");
    assertThat(recordedTopics()).containsExactlyElementsOf(pool);
    try (Admin admin = admin(broker)) {
      assertThat(brokerTopics(admin)).containsExactlyElementsOf(pool);
      Map<String, TopicDescription> described = admin.describeTopics(pool).allTopicNames().get();
      assertThat(described.values()).allSatisfy(topic ->
          assertThat(topic.partitions()).hasSize(2));
      assertThat(firstPartitionEndOffsets(admin, pool)).containsOnly(1L);
    }
  }

  @Test
  void regionsGetThePoolTopicsRoundRobinInGreptimeDbsEncoding() {
    WalOptions wal = kafka(KafkaBroker.shared().bootstrapServers(), 3, true);
    leader = startLeader(wal);
    awaitReady(leader);

    Map<Integer, String> options = leader.allocate(List.of(0, 1, 2, 3, 4), false);

    assertThat(options).containsOnlyKeys(0, 1, 2, 3, 4);
    List<Integer> topicNumbers = options.values().stream()
        .map(json -> {
          assertThat(json).matches("\\{\"wal.provider\":\"kafka\",\"wal.kafka.topic\":\""
              + prefix + "_[0-2]\"}");
          return Integer.parseInt(json.substring(json.lastIndexOf('_') + 1, json.length() - 2));
        })
        .toList();
    for (int i = 1; i < topicNumbers.size(); i++) {
      assertThat(topicNumbers.get(i)).isEqualTo((topicNumbers.get(i - 1) + 1) % 3);
    }
    assertThat(KafkaWalOptionsAllocator.kafkaOptions("greptimedb_wal_topic_7"))
        .isEqualTo("{\"wal.provider\":\"kafka\",\"wal.kafka.topic\":\"greptimedb_wal_topic_7\"}");
  }

  @Test
  void leaderChangesCreateTheTopicsOnce() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    WalOptions wal = kafka(broker.bootstrapServers(), 2, true);
    List<String> pool = List.of(prefix + "_0", prefix + "_1");

    for (int term = 1; term <= 3; term++) {
      // each term a node of its own over the same store
      WalOptionsAllocator node = WalOptionsAllocators.create(wal, kv);
      node.onLeaderStart();
      awaitReady(node);
      assertThat(node.allocate(List.of(0), false).get(0)).contains(prefix);
      node.onLeaderStop();
    }

    assertThat(recordedTopics()).containsExactlyElementsOf(pool);
    try (Admin admin = admin(broker)) {
      assertThat(brokerTopics(admin)).containsExactlyElementsOf(pool);
      // one first record per topic: only the first leader prepared them
      assertThat(firstPartitionEndOffsets(admin, pool)).containsOnly(1L);
    }
  }

  @Test
  void aBrokerDownAtLeaderStartDelaysTheTopicsButNotLeadership() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start()) {
      broker.stop();
      WalOptions wal = kafka(broker.bootstrapServers(), 2, true);

      // a leader start that waited for Kafka would never return
      leader = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> startLeader(wal));
      // retries happen meanwhile; real time is what is tested
      Thread.sleep(1500);
      WalOptionsUnavailableException notYet = catchThrowableOfType(
          WalOptionsUnavailableException.class, () -> leader.allocate(List.of(0), false));
      assertThat(notYet).hasMessageStartingWith(
          "the Kafka WAL topics are not ready yet: the leader is still creating them (the last"
              + " attempt failed: ");
      assertThat(recordedTopics()).isEmpty();

      broker.restart();
      awaitReady(leader);

      assertThat(recordedTopics()).containsExactly(prefix + "_0", prefix + "_1");
      try (Admin admin = admin(broker)) {
        assertThat(brokerTopics(admin)).containsExactly(prefix + "_0", prefix + "_1");
      }
    }
  }

  @Test
  void stepDownEndsTheRetriesAndAKafkaCallInFlight() {
    // each attempt waits up to create_topic_timeout (1s) for the missing broker
    leader = startLeader(kafka(unreachableBroker(), 1, true));
    await().atMost(READY_TIMEOUT).until(() -> walTopicThreads() == 1);

    assertTimeoutPreemptively(Duration.ofMillis(900), () -> leader.onLeaderStop());

    assertThat(walTopicThreads()).isZero();
    assertThatThrownBy(() -> leader.allocate(List.of(0), false))
        .hasMessage("the Kafka WAL topic pool is not active: this metasrv is not the leader");
  }

  @Test
  void aDeposedLeaderRecordsNothingAndStopsTrying() throws Exception {
    AtomicInteger fencedWrites = new AtomicInteger();
    FencedKv deposed = new FencedKv(kv, currentEpoch -> fencedWrites.incrementAndGet());
    deposed.acquire(1);
    new FencedKv(kv, currentEpoch -> { }).acquire(2);

    leader = WalOptionsAllocators.create(kafka(KafkaBroker.shared().bootstrapServers(), 2, true),
        deposed);
    leader.onLeaderStart();
    await().atMost(READY_TIMEOUT).until(() -> fencedWrites.get() == 1);
    // no retry follows a fenced write: give the 100ms backoff several chances to show one
    Thread.sleep(700);

    assertThat(fencedWrites).hasValue(1);
    assertThat(recordedTopics()).isEmpty();
    assertThatThrownBy(() -> leader.allocate(List.of(0), false))
        .hasMessage("the Kafka WAL topics are not ready yet: the leader is still creating them");
  }

  @Test
  void retriesStopAtTheDeadlineAndTheNextAllocationStartsThemAgain() {
    WalOptions wal = withBackoff(kafka(unreachableBroker(), 1, true), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(800));
    leader = startLeader(wal);

    await().atMost(READY_TIMEOUT).untilAsserted(() ->
        assertThatThrownBy(() -> leader.allocate(List.of(0), false))
            .isInstanceOf(WalOptionsUnavailableException.class)
            .hasMessageStartingWith("the Kafka WAL topics could not be created within"
                + " backoff_deadline (")
            .hasMessageEndingWith("); trying again now"));
    assertThatThrownBy(() -> leader.allocate(List.of(0), false))
        .hasMessageStartingWith("the Kafka WAL topics are not ready yet");
    assertThat(recordedTopics()).isEmpty();
  }

  @Test
  void withoutAutoCreateTopicsTheLeaderNeitherCreatesNorRecords() {
    leader = startLeader(kafka(unreachableBroker(), 2, false));

    Map<Integer, String> options = leader.allocate(List.of(7), false);

    assertThat(options).containsOnlyKeys(7);
    assertThat(options.get(7))
        .startsWith("{\"wal.provider\":\"kafka\",\"wal.kafka.topic\":\"" + prefix + "_");
    assertThat(recordedTopics()).isEmpty();
  }

  @Test
  void theLegacyTopicKeyIsMovedToOneKeyPerTopic() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    byte[] legacyKey = Bytes.utf8(TopicNameKey.LEGACY_KEY);
    kv.put(legacyKey, Bytes.utf8("[\"" + prefix + "_0\",\"" + prefix + "_1\"]"));

    leader = startLeader(kafka(broker.bootstrapServers(), 3, true));
    awaitReady(leader);

    assertThat(kv.get(legacyKey)).isEmpty();
    assertThat(recordedTopics()).containsExactly(prefix + "_0", prefix + "_1", prefix + "_2");
    try (Admin admin = admin(broker)) {
      // the legacy key says the first two exist: only the third is created
      assertThat(brokerTopics(admin)).containsExactly(prefix + "_2");
    }
  }

  @Test
  void skipWalTablesGetNoopWhateverThePoolsState() {
    WalOptionsAllocator follower = WalOptionsAllocators.create(
        kafka(unreachableBroker(), 2, true), kv);

    assertThat(follower.allocate(List.of(1, 2), true))
        .containsExactly(Map.entry(1, WalOptionsAllocator.NOOP),
            Map.entry(2, WalOptionsAllocator.NOOP));
    assertThatThrownBy(() -> follower.allocate(List.of(1), false))
        .isInstanceOf(WalOptionsUnavailableException.class)
        .hasMessage("the Kafka WAL topic pool is not active: this metasrv is not the leader");
  }

  @Test
  void raftEngineIsTheDefaultProvider() {
    WalOptionsAllocator allocator = WalOptionsAllocators.create(WalOptions.defaults(), kv);
    allocator.onLeaderStart();
    assertThat(allocator.allocate(List.of(0, 1), false)).containsExactly(
        Map.entry(0, "{\"wal.provider\":\"raft_engine\"}"),
        Map.entry(1, "{\"wal.provider\":\"raft_engine\"}"));
    allocator.onLeaderStop();
  }

  private static long walTopicThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("metasrv-wal-topics") && thread.isAlive())
        .count();
  }

  private WalOptionsAllocator startLeader(WalOptions wal) {
    WalOptionsAllocator allocator = WalOptionsAllocators.create(wal, kv);
    allocator.onLeaderStart();
    return allocator;
  }

  private static void awaitReady(WalOptionsAllocator allocator) {
    await().atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(50))
        .ignoreException(WalOptionsUnavailableException.class)
        .until(() -> !allocator.allocate(List.of(0), false).isEmpty());
  }

  private List<String> recordedTopics() {
    return kv.range(RangeRequest.prefix(TopicNameKey.rangePrefix())).kvs().stream()
        .map(keyValue -> {
          assertThat(keyValue.value()).isEmpty();
          return TopicNameKey.parse(keyValue.key()).topic();
        })
        .toList();
  }

  /** The broker's topics of this test, sorted. */
  private Set<String> brokerTopics(Admin admin) throws Exception {
    return admin.listTopics().names().get().stream()
        .filter(name -> name.startsWith(prefix + "_"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static List<Long> firstPartitionEndOffsets(Admin admin, List<String> topics)
      throws Exception {
    Map<TopicPartition, OffsetSpec> latest = topics.stream().collect(Collectors.toMap(
        topic -> new TopicPartition(topic, 0), topic -> OffsetSpec.latest()));
    return admin.listOffsets(latest).all().get().values().stream()
        .map(info -> info.offset())
        .toList();
  }

  private static Admin admin(KafkaBroker broker) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()));
  }

  /** A loopback port nothing listens on. */
  private static String unreachableBroker() {
    return "127.0.0.1:" + FreePorts.next();
  }

  /** Kafka WAL options for this test's pool: fast retries, short Kafka calls. */
  private WalOptions kafka(String brokers, int numTopics, boolean autoCreateTopics) {
    WalOptions d = WalOptions.defaults();
    return withBackoff(new WalOptions(WalOptions.Provider.KAFKA, List.of(brokers),
        Optional.empty(), Optional.empty(), d.backoffInit(), d.backoffMax(), 2,
        d.backoffDeadline(), numTopics, 2, d.selectorType(), 1, Duration.ofSeconds(1), prefix,
        autoCreateTopics), Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMinutes(5));
  }

  private static WalOptions withBackoff(WalOptions wal, Duration init, Duration max,
      Duration deadline) {
    return new WalOptions(wal.provider(), wal.brokerEndpoints(), wal.sasl(), wal.tls(), init,
        max, wal.backoffBase(), deadline, wal.numTopics(), wal.numPartitions(),
        wal.selectorType(), wal.replicationFactor(), wal.createTopicTimeout(),
        wal.topicNamePrefix(), wal.autoCreateTopics());
  }
}
