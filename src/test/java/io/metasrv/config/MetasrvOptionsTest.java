package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The defaults are GreptimeDB's (seed metasrv.rs and the option structs it uses). */
class MetasrvOptionsTest {
  private final MetasrvOptions defaults = MetasrvOptions.defaults();

  @Test
  void topLevelDefaultsAreTheSeeds() {
    assertThat(defaults.bindAddr()).isEqualTo("127.0.0.1:3002");
    assertThat(defaults.serverAddr()).isEmpty();
    assertThat(defaults.storeAddrs()).containsExactly("127.0.0.1:2379");
    assertThat(defaults.selector()).isEqualTo(SelectorKind.ROUND_ROBIN);
    assertThat(defaults.useMemoryStore()).isFalse();
    assertThat(defaults.enableRegionFailover()).isFalse();
    assertThat(defaults.enableTelemetry()).isTrue();
    assertThat(defaults.dataHome()).isEqualTo("./greptimedb_data/metasrv");
    assertThat(defaults.storeKeyPrefix()).isEmpty();
    assertThat(defaults.maxTxnOps()).isEqualTo(128);
    assertThat(defaults.flushStatsFactor()).isEqualTo(3);
    assertThat(defaults.backend()).isEqualTo(BackendKind.ETCD_STORE);
    assertThat(defaults.metaTableName()).isEqualTo("greptime_metakv");
    assertThat(defaults.metaElectionLockId()).isEqualTo(1);
    assertThat(defaults.nodeMaxIdleTime()).isEqualTo(Duration.ofHours(24));
    assertThat(defaults.replacedBackend()).isEmpty();
  }

  @Test
  void sectionDefaultsAreTheSeeds() {
    assertThat(defaults.http())
        .isEqualTo(
            new HttpOptions(
                "127.0.0.1:4000",
                Duration.ZERO,
                new ReadableSize(64L << 20),
                false,
                List.of(),
                true));
    assertThat(defaults.logging().dir()).isEqualTo("./greptimedb_data/metasrv/logs");
    assertThat(defaults.logging().level()).isEmpty();
    assertThat(defaults.logging().logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(defaults.logging().maxLogFiles()).isEqualTo(720);
    assertThat(defaults.logging().appendStdout()).isTrue();
    assertThat(defaults.logging().enableOtlpTracing()).isFalse();
    assertThat(defaults.logging().otlpEndpoint()).isEmpty();
    assertThat(defaults.logging().tracingSampleRatio()).isEmpty();
    assertThat(defaults.logging().slowQuery())
        .isEqualTo(new LoggingOptions.SlowQuery(false, Optional.empty(), Optional.empty()));
    assertThat(defaults.procedure())
        .isEqualTo(
            new ProcedureOptions(12, Duration.ofMillis(500), new ReadableSize(1500 * 1024), 128));
    assertThat(defaults.procedure().maxMetadataValueSize().bytes()).isEqualTo(1_536_000);
    assertThat(defaults.failureDetector())
        .isEqualTo(
            new FailureDetectorOptions(
                8.0, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMillis(1000)));
    assertThat(defaults.datanode().client())
        .isEqualTo(new DatanodeOptions.Client(Duration.ofSeconds(10), Duration.ofSeconds(1), true));
    assertThat(defaults.exportMetrics())
        .isEqualTo(
            new ExportMetricsOptions(
                false, Duration.ofSeconds(30), Optional.empty(), Optional.empty()));
    assertThat(defaults.tracing().tokioConsoleAddr()).isEmpty();
  }

  @Test
  void walDefaultsAreRaftEngineWithKafkaClientDefaults() {
    WalOptions wal = defaults.wal();
    assertThat(wal.provider()).isEqualTo(WalOptions.Provider.RAFT_ENGINE);
    assertThat(wal.brokerEndpoints()).containsExactly("127.0.0.1:9092");
    assertThat(wal.sasl()).isEmpty();
    assertThat(wal.tls()).isEmpty();
    assertThat(
            List.of(
                wal.backoffInit(),
                wal.backoffMax(),
                wal.backoffDeadline(),
                wal.createTopicTimeout()))
        .containsExactly(
            Duration.ofMillis(500),
            Duration.ofSeconds(10),
            Duration.ofMinutes(5),
            Duration.ofSeconds(30));
    assertThat(
            List.of(
                wal.backoffBase(), wal.numTopics(), wal.numPartitions(), wal.replicationFactor()))
        .containsExactly(2, 64, 1, 1);
    assertThat(wal.selectorType()).isEqualTo(WalOptions.TopicSelector.ROUND_ROBIN);
    assertThat(wal.topicNamePrefix()).isEqualTo("greptimedb_wal_topic");
    assertThat(wal.autoCreateTopics()).isTrue();
  }

  @Test
  void defaultsPassValidationWithNothingConfigured() {
    assertThat(ConfigLoader.load(null, Map.of(), Map.of())).isEqualTo(defaults);
  }

  @Test
  void withServerAddrChangesOnlyTheServerAddr() {
    MetasrvOptions changed = defaults.withServerAddr("10.0.0.7:3002");
    assertThat(changed.serverAddr()).isEqualTo("10.0.0.7:3002");
    assertThat(changed.withServerAddr("")).isEqualTo(defaults);
  }

  @Test
  void configNamesAreSnakeCase() {
    assertThat(BackendKind.POSTGRES_STORE.configName()).isEqualTo("postgres_store");
    assertThat(SelectorKind.LOAD_BASED.configName()).isEqualTo("load_based");
    assertThat(WalOptions.SaslMechanism.SCRAM_SHA_512.configName()).isEqualTo("SCRAM-SHA-512");
  }

  @Test
  void listsAreImmutableCopies() {
    List<String> addrs = new java.util.ArrayList<>(List.of("a:1"));
    MetasrvOptions options =
        new MetasrvOptions(
            defaults.bindAddr(),
            "",
            addrs,
            defaults.selector(),
            false,
            false,
            defaults.http(),
            defaults.logging(),
            defaults.procedure(),
            defaults.failureDetector(),
            defaults.datanode(),
            true,
            defaults.dataHome(),
            defaults.wal(),
            defaults.exportMetrics(),
            "",
            128,
            3,
            defaults.tracing(),
            defaults.backend(),
            defaults.metaTableName(),
            1,
            defaults.nodeMaxIdleTime(),
            defaults.backendTls(),
            defaults.backendAuth(),
            defaults.grpc(),
            defaults.election(),
            Optional.empty());
    addrs.add("b:2");
    assertThat(options.storeAddrs()).containsExactly("a:1");
  }
}
