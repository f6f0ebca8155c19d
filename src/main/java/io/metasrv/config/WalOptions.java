package io.metasrv.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The write-ahead log as the metasrv sees it ({@code [wal]}). Only the Kafka provider needs the
 * metasrv: it allocates Kafka topics to regions. The Kafka keys are accepted (and kept) under
 * {@code raft_engine} too, as GreptimeDB's example file sets them there; they only take effect, and
 * are only validated, with {@code provider = "kafka"}.
 *
 * @param provider {@code raft_engine} (local WAL on each datanode) or {@code kafka}
 * @param brokerEndpoints Kafka bootstrap brokers
 * @param sasl Kafka SASL authentication
 * @param tls Kafka TLS
 * @param backoffInit first wait before the leader retries creating its WAL topics (and the Kafka
 *     client's first reconnect backoff)
 * @param backoffMax longest such wait
 * @param backoffBase growth factor of the wait from one retry to the next
 * @param backoffDeadline no retry starts after this long; the next table creation starts them
 *     again
 * @param numTopics topics in the pool regions are spread over
 * @param numPartitions partitions per topic
 * @param selectorType how a region's topic is chosen
 * @param replicationFactor replicas of each topic partition
 * @param createTopicTimeout bound of each Kafka call that creates topics or writes their first
 *     record
 * @param topicNamePrefix topics are named {@code <prefix>_<n>}
 * @param autoCreateTopics create missing topics instead of expecting them
 */
public record WalOptions(
    Provider provider,
    List<String> brokerEndpoints,
    Optional<Sasl> sasl,
    Optional<Tls> tls,
    Duration backoffInit,
    Duration backoffMax,
    int backoffBase,
    Duration backoffDeadline,
    int numTopics,
    int numPartitions,
    TopicSelector selectorType,
    int replicationFactor,
    Duration createTopicTimeout,
    String topicNamePrefix,
    boolean autoCreateTopics) {

  public WalOptions {
    brokerEndpoints = List.copyOf(brokerEndpoints);
  }

  public static WalOptions defaults() {
    return new WalOptions(
        Provider.RAFT_ENGINE,
        List.of("127.0.0.1:9092"),
        Optional.empty(),
        Optional.empty(),
        Duration.ofMillis(500),
        Duration.ofSeconds(10),
        2,
        Duration.ofMinutes(5),
        64,
        1,
        TopicSelector.ROUND_ROBIN,
        1,
        Duration.ofSeconds(30),
        "greptimedb_wal_topic",
        true);
  }

  /** {@code provider}. */
  public enum Provider implements ConfigEnum {
    RAFT_ENGINE,
    KAFKA;

    @Override
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code selector_type}: how a region's topic is chosen. */
  public enum TopicSelector implements ConfigEnum {
    ROUND_ROBIN;

    @Override
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * {@code [wal.sasl]}; every key is required once the section is present.
   *
   * @param type the SASL mechanism
   */
  public record Sasl(SaslMechanism type, String username, String password) {}

  /** {@code type} of {@code [wal.sasl]}, spelled as Kafka spells the mechanisms. */
  public enum SaslMechanism implements ConfigEnum {
    PLAIN,
    SCRAM_SHA_256,
    SCRAM_SHA_512;

    @Override
    public String configName() {
      return name().replace('_', '-');
    }
  }

  /**
   * {@code [wal.tls]}: PEM files; without a client certificate and key the client does not
   * authenticate itself.
   */
  public record Tls(
      Optional<String> serverCaCertPath,
      Optional<String> clientCertPath,
      Optional<String> clientKeyPath) {
    public static Tls defaults() {
      return new Tls(Optional.empty(), Optional.empty(), Optional.empty());
    }
  }
}
