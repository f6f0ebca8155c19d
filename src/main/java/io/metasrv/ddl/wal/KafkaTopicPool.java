package io.metasrv.ddl.wal;

import com.fasterxml.jackson.core.type.TypeReference;
import io.metasrv.config.HumanDuration;
import io.metasrv.config.WalOptions;
import io.metasrv.ddl.WalOptionsUnavailableException;
import io.metasrv.fence.FencedException;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TopicNameKey;
import java.io.IOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's Kafka WAL topics, {@code {topic_name_prefix}_0} to {@code _{num_topics - 1}}, as
 * GreptimeDB's {@code KafkaTopicPool}: on leader start, when {@code auto_create_topics} is on, it
 * moves the legacy {@code __created_wal_topics/kafka} key to {@code __topic_name/kafka/{topic}}
 * keys, creates the pool topics that have no such key ({@link KafkaTopicCreator}), then records
 * every pool topic. A new leader therefore creates nothing that an earlier one recorded.
 *
 * <p>Unlike GreptimeDB, which tries once and leaves a failure to the next leader start, the work
 * runs on a thread of its own ({@code metasrv-wal-topics}) and is retried with the {@code [wal]}
 * backoff while Kafka cannot be reached, so the rest of leadership never waits for Kafka. Regions
 * get topics only once the pool is ready ({@link #requireReady}); a table created earlier would
 * name topics that may not exist. After {@code backoff_deadline} the retries stop; the next
 * allocation asked of the pool starts them again. The leader's store is fenced, so a deposed
 * leader's writes fail, and its retries end with them.
 */
public final class KafkaTopicPool {
  private static final Logger log = LoggerFactory.getLogger(KafkaTopicPool.class);
  private static final TypeReference<List<String>> TOPIC_LIST = new TypeReference<>() {};
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final List<String> topics;
  private final boolean autoCreateTopics;
  private final KvBackend leaderKv;
  private final RetryBackoff backoff;
  private final Supplier<KafkaTopicCreator> creators;
  /** The current leadership's activation; null while this node does not lead. */
  private Activation activation;

  /**
   * @param leaderKv the leader's fenced store
   * @param creators Kafka clients for one leadership, made only when topics must be created
   */
  KafkaTopicPool(WalOptions wal, KvBackend leaderKv, Supplier<KafkaTopicCreator> creators) {
    this.topics = IntStream.range(0, wal.numTopics())
        .mapToObj(i -> wal.topicNamePrefix() + "_" + i)
        .toList();
    this.autoCreateTopics = wal.autoCreateTopics();
    this.leaderKv = leaderKv;
    this.backoff = RetryBackoff.of(wal);
    this.creators = creators;
  }

  /** The pool's topic names, in order. */
  public List<String> topics() {
    return topics;
  }

  /** This node leads: prepares the topics in the background and returns at once. */
  public synchronized void start() {
    if (activation != null) {
      throw new IllegalStateException("the WAL topic pool is already started");
    }
    activation = new Activation();
    activation.begin();
  }

  /** This node no longer leads: stops the preparation, interrupting a Kafka call in flight. */
  public void stop() {
    Activation stopping;
    synchronized (this) {
      stopping = activation;
      activation = null;
    }
    if (stopping != null) {
      stopping.close();
    }
  }

  /**
   * Passes when regions may be given topics of the pool.
   *
   * @throws WalOptionsUnavailableException while the topics are being prepared, after the
   *     retries gave up (they start again), or when this node does not lead
   */
  void requireReady() {
    Activation current;
    synchronized (this) {
      current = activation;
    }
    if (current == null) {
      throw new WalOptionsUnavailableException(
          "the Kafka WAL topic pool is not active: this metasrv is not the leader", null);
    }
    current.requireReady();
  }

  /** Where one leadership's preparation stands. */
  private enum Status { PREPARING, READY, GAVE_UP }

  /** One leadership's preparation of the pool: its thread, its Kafka clients, its retries. */
  private final class Activation {
    private final ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "metasrv-wal-topics");
          t.setDaemon(true);
          return t;
        });
    private volatile Status status = Status.PREPARING;
    private volatile Exception lastFailure;
    /** Made and used by the executor's thread; closed by {@link #close} once it has ended. */
    private volatile KafkaTopicCreator creator;
    private int failures;
    private long firstAttemptNanos;

    void begin() {
      if (!autoCreateTopics) {
        // topics are expected to exist already; GreptimeDB neither creates nor records them
        status = Status.READY;
        return;
      }
      restart();
    }

    void requireReady() {
      switch (status) {
        case READY -> { }
        case PREPARING -> throw new WalOptionsUnavailableException(
            "the Kafka WAL topics are not ready yet: the leader is still creating them"
                + describeLastFailure(), lastFailure);
        case GAVE_UP -> {
          Exception failure = lastFailure;
          restartAfterGivingUp();
          throw new WalOptionsUnavailableException(
              "the Kafka WAL topics could not be created within backoff_deadline ("
                  + failure + "); trying again now", failure);
        }
        default -> throw new AssertionError(status);
      }
    }

    private String describeLastFailure() {
      Exception failure = lastFailure;
      return failure == null ? "" : " (the last attempt failed: " + failure + ")";
    }

    private synchronized void restartAfterGivingUp() {
      if (status == Status.GAVE_UP) {
        restart();
      }
    }

    /** Begins a new round of attempts. */
    private synchronized void restart() {
      if (executor.isShutdown()) {
        return;
      }
      status = Status.PREPARING;
      executor.execute(() -> {
        failures = 0;
        firstAttemptNanos = System.nanoTime();
        attempt();
      });
    }

    private synchronized void retryIn(Duration delay) {
      if (!executor.isShutdown()) {
        executor.schedule(this::attempt, delay.toMillis(), TimeUnit.MILLISECONDS);
      }
    }

    private void attempt() {
      try {
        prepare();
        status = Status.READY;
      } catch (FencedException e) {
        log.info("stopped preparing the Kafka WAL topics: this node no longer leads ({})",
            e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        if (executor.isShutdown()) {
          return;
        }
        lastFailure = e;
        failures++;
        Duration elapsed = Duration.ofNanos(System.nanoTime() - firstAttemptNanos);
        Optional<Duration> delay = backoff.delayAfter(failures, elapsed);
        if (delay.isPresent()) {
          log.warn("cannot prepare the Kafka WAL topics (attempt {}): {}; retrying in {}",
              failures, e.toString(), HumanDuration.format(delay.get()));
          retryIn(delay.get());
        } else {
          status = Status.GAVE_UP;
          log.error("gave up preparing the Kafka WAL topics after {} attempt(s) in {}"
              + " (backoff_deadline {}): {}; the next table creation tries again", failures,
              HumanDuration.format(elapsed.truncatedTo(ChronoUnit.MILLIS)),
              HumanDuration.format(backoff.deadline()), e.toString());
        }
      }
    }

    private void prepare() throws Exception {
      moveLegacyKey();
      Set<String> recorded = recordedTopics();
      List<String> missing = topics.stream().filter(topic -> !recorded.contains(topic)).toList();
      if (!missing.isEmpty()) {
        if (creator == null) {
          creator = creators.get();
        }
        creator.prepare(missing);
        record(topics);
      }
      log.info("Kafka WAL topic pool ready: {} topic(s), {} created or first recorded now",
          topics.size(), missing.size());
    }

    private void moveLegacyKey() throws IOException {
      byte[] legacyKey = Bytes.utf8(TopicNameKey.LEGACY_KEY);
      Optional<KeyValue> legacy = leaderKv.get(legacyKey);
      if (legacy.isEmpty()) {
        return;
      }
      List<String> legacyTopics = SerdeJson.MAPPER.readValue(legacy.get().value(), TOPIC_LIST);
      // GreptimeDB moves them in one transaction; two steps may exceed no max_txn_ops, and a
      // leader that dies between them leaves the legacy key to be moved again, to the same keys
      record(legacyTopics);
      leaderKv.batchDelete(List.of(legacyKey), false);
      log.info("moved {} WAL topic(s) from {} to {}/", legacyTopics.size(),
          TopicNameKey.LEGACY_KEY, TopicNameKey.PREFIX);
    }

    /** Writes {@code __topic_name/kafka/{topic}} with an empty value for each of {@code names}. */
    private void record(List<String> names) {
      List<KeyValue> keys = new ArrayList<>();
      names.forEach(name -> keys.add(KeyValue.of(new TopicNameKey(name).toBytes(), new byte[0])));
      leaderKv.batchPut(keys, false);
    }

    private Set<String> recordedTopics() {
      Set<String> recorded = new HashSet<>();
      leaderKv.range(RangeRequest.prefix(TopicNameKey.rangePrefix()).withKeysOnly()).kvs()
          .forEach(kv -> recorded.add(TopicNameKey.parse(kv.key()).topic()));
      return recorded;
    }

    /** Stops the retries, interrupts a Kafka call in flight and closes the clients. */
    void close() {
      synchronized (this) {
        executor.shutdownNow();
      }
      try {
        if (!executor.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("the Kafka WAL topic preparation did not stop within {}", STOP_TIMEOUT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (creator != null) {
        creator.close();
      }
    }
  }
}
