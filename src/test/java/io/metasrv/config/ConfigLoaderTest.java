package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path toml(String text) throws IOException {
    Path file = dir.resolve("metasrv.toml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void fileOverridesDefaultsKeyByKey() throws IOException {
    Path file =
        toml(
            """
            bind_addr = "0.0.0.0:3002"
            [procedure]
            max_retry_times = 5
            [http]
            timeout = "30s"
            """);
    MetasrvOptions options = ConfigLoader.load(file);
    assertThat(options.bindAddr()).isEqualTo("0.0.0.0:3002");
    assertThat(options.procedure().maxRetryTimes()).isEqualTo(5);
    // Keys a section leaves out keep the metasrv defaults, not the section type's own.
    assertThat(options.procedure().maxMetadataValueSize()).isEqualTo(ReadableSize.ofKib(1500));
    assertThat(options.http().timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.http().addr()).isEqualTo(MetasrvOptions.defaults().http().addr());
  }

  @Test
  void precedenceIsDefaultsThenFileThenEnvThenOverrides() throws IOException {
    Path file =
        toml(
            """
            bind_addr = "10.0.0.1:3002"
            server_addr = "10.0.0.1:3002"
            data_home = "/file"
            [http]
            addr = "10.0.0.1:4000"
            """);
    Map<String, String> env =
        Map.of(
            "GREPTIMEDB_METASRV__SERVER_ADDR", "10.0.0.2:3002",
            "GREPTIMEDB_METASRV__DATA_HOME", "/env",
            "GREPTIMEDB_METASRV__HTTP__ADDR", "10.0.0.2:4000");
    Map<String, String> overrides = Map.of("data_home", "/flag", "http.addr", "10.0.0.3:4000");

    MetasrvOptions options = ConfigLoader.load(file, env, overrides);

    assertThat(options.bindAddr()).isEqualTo("10.0.0.1:3002");
    assertThat(options.serverAddr()).isEqualTo("10.0.0.2:3002");
    assertThat(options.dataHome()).isEqualTo("/flag");
    assertThat(options.http().addr()).isEqualTo("10.0.0.3:4000");
  }

  @Test
  void newerGreptimeDbGrpcSectionNamesAreAliasesOfTheTopLevelAddresses() throws IOException {
    Path file =
        toml(
            """
            [grpc]
            bind_addr = "0.0.0.0:3012"
            server_addr = "10.0.0.5:3012"
            [grpc.tls]
            mode = "disable"
            """);
    MetasrvOptions options = ConfigLoader.load(file);
    assertThat(options.bindAddr()).isEqualTo("0.0.0.0:3012");
    assertThat(options.serverAddr()).isEqualTo("10.0.0.5:3012");

    MetasrvOptions fromEnv = ConfigLoader.load(file,
        Map.of("GREPTIMEDB_METASRV__GRPC__SERVER_ADDR", "10.0.0.6:3012"), Map.of());
    assertThat(fromEnv.serverAddr()).isEqualTo("10.0.0.6:3012");
    assertThat(ConfigPrinter.toToml(fromEnv)).contains("server_addr = \"10.0.0.6:3012\"")
        .doesNotContain("[grpc]\nbind_addr");
  }

  @Test
  void oneLayerSettingAnAliasAndItsKeyDifferentlyIsAnError() throws IOException {
    Path file =
        toml(
            """
            bind_addr = "0.0.0.0:3002"
            [grpc]
            bind_addr = "0.0.0.0:3012"
            """);
    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.keyPath()).isEqualTo("grpc.bind_addr");
          assertThat(e.getMessage()).contains("bind_addr");
        });
  }

  @Test
  void envListsAreCommaSeparatedAndTrimmed() {
    Map<String, String> env =
        Map.of(
            "GREPTIMEDB_METASRV__STORE_ADDRS", "etcd-0:2379, etcd-1:2379,etcd-2:2379,",
            "GREPTIMEDB_METASRV__WAL__PROVIDER", "kafka",
            "GREPTIMEDB_METASRV__WAL__BROKER_ENDPOINTS", "kafka-0:9092,kafka-1:9092");
    MetasrvOptions options = ConfigLoader.load(null, env, Map.of());
    assertThat(options.storeAddrs()).containsExactly("etcd-0:2379", "etcd-1:2379", "etcd-2:2379");
    assertThat(options.wal().provider()).isEqualTo(WalOptions.Provider.KAFKA);
    assertThat(options.wal().brokerEndpoints()).containsExactly("kafka-0:9092", "kafka-1:9092");
  }

  @Test
  void envValuesAreConvertedToTheKeysTypes() {
    Map<String, String> env =
        Map.of(
            "GREPTIMEDB_METASRV__MAX_TXN_OPS", "64",
            "GREPTIMEDB_METASRV__ENABLE_TELEMETRY", "FALSE",
            "GREPTIMEDB_METASRV__SELECTOR", "load_based",
            "GREPTIMEDB_METASRV__PROCEDURE__RETRY_DELAY", "1s 500ms",
            "GREPTIMEDB_METASRV__PROCEDURE__MAX_METADATA_VALUE_SIZE", "1MiB",
            "GREPTIMEDB_METASRV__FAILURE_DETECTOR__THRESHOLD", "9.5",
            "GREPTIMEDB_METASRV__LOGGING__LEVEL", "debug");
    MetasrvOptions options = ConfigLoader.load(null, env, Map.of());
    assertThat(options.maxTxnOps()).isEqualTo(64);
    assertThat(options.enableTelemetry()).isFalse();
    assertThat(options.selector()).isEqualTo(SelectorKind.LOAD_BASED);
    assertThat(options.procedure().retryDelay()).isEqualTo(Duration.ofMillis(1500));
    assertThat(options.procedure().maxMetadataValueSize().bytes()).isEqualTo(1 << 20);
    assertThat(options.failureDetector().threshold()).isEqualTo(9.5);
    assertThat(options.logging().level()).contains("debug");
  }

  @Test
  void envNamesAreCaseInsensitiveOthersIgnoredAndEmptyMeansUnset() {
    Map<String, String> env =
        Map.of(
            "greptimedb_metasrv__bind_addr", "127.0.0.1:4002",
            "GREPTIMEDB_METASRV__DATA_HOME", "",
            "GREPTIMEDB_METASRV_BIND_ADR", "not under the prefix: single underscore",
            "GREPTIMEDB_DATANODE__BIND_ADR", "another component",
            "PATH", "/usr/bin");
    MetasrvOptions options = ConfigLoader.load(null, env, Map.of());
    assertThat(options.bindAddr()).isEqualTo("127.0.0.1:4002");
    assertThat(options.dataHome()).isEqualTo(MetasrvOptions.defaults().dataHome());
  }

  @Test
  void overridesUseEnvSyntax() {
    MetasrvOptions options =
        ConfigLoader.load(
            null,
            Map.of(),
            Map.of(
                "store_addrs", "a:2379,b:2379",
                "use_memory_store", "false",
                "backend", "etcd-store",
                "node_max_idle_time", "1h",
                "store_key_prefix", ""));
    assertThat(options.storeAddrs()).containsExactly("a:2379", "b:2379");
    assertThat(options.backend()).isEqualTo(BackendKind.ETCD_STORE);
    assertThat(options.nodeMaxIdleTime()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void selectorAcceptsGreptimeDbsPascalCaseAlias() {
    assertThat(ConfigLoader.load(null, Map.of(), Map.of("selector", "LeaseBased")).selector())
        .isEqualTo(SelectorKind.LEASE_BASED);
  }

  @Test
  void memoryStoreFlagWinsOverAnExplicitBackendAndIsRecorded() {
    MetasrvOptions options =
        ConfigLoader.load(
            null,
            Map.of(),
            Map.of("use_memory_store", "true", "backend", "postgres_store", "store_addrs", ""));
    assertThat(options.useMemoryStore()).isTrue();
    assertThat(options.backend()).isEqualTo(BackendKind.MEMORY_STORE);
    assertThat(options.replacedBackend()).contains(BackendKind.POSTGRES_STORE);
  }

  @Test
  void memoryBackendImpliesUseMemoryStore() {
    MetasrvOptions options = ConfigLoader.load(null, Map.of(), Map.of("backend", "memory_store"));
    assertThat(options.useMemoryStore()).isTrue();
    assertThat(options.backend()).isEqualTo(BackendKind.MEMORY_STORE);
    assertThat(options.replacedBackend()).isEmpty();
  }

  @Test
  void greptimeDbStyleFileLoadsWithItsValues() throws URISyntaxException {
    Path file = Path.of(getClass().getResource("/config/greptimedb-style-metasrv.toml").toURI());
    MetasrvOptions options = ConfigLoader.load(file);
    assertThat(options.serverAddr()).isEqualTo("127.0.0.1:3002");
    assertThat(options.nodeMaxIdleTime()).isEqualTo(Duration.ofHours(24));
    assertThat(options.datanode().client().connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(options.wal().provider()).isEqualTo(WalOptions.Provider.RAFT_ENGINE);
    assertThat(options.wal().backoffDeadline()).isEqualTo(Duration.ofMinutes(5));
    assertThat(options.logging().tracingSampleRatio())
        .contains(LoggingOptions.TracingSampleRatio.defaults());
    assertThat(options.logging().slowQuery().threshold()).contains(Duration.ofSeconds(10));
    assertThat(options.exportMetrics().selfImport())
        .contains(new ExportMetricsOptions.SelfImport("greptime_metrics"));
    assertThat(options.exportMetrics().remoteWrite())
        .contains(new ExportMetricsOptions.RemoteWrite("", Map.of()));
    assertThat(options.tracing().tokioConsoleAddr()).contains("127.0.0.1");
  }

  @Test
  void optionalSectionsTakeTheirOwnDefaultsForMissingKeys() throws IOException {
    Path file =
        toml(
            """
            [wal]
            provider = "kafka"
            broker_endpoints = ["k:9092"]
            [wal.sasl]
            type = "SCRAM-SHA-256"
            username = "metasrv"
            password = "s3cret"
            [wal.tls]
            server_ca_cert_path = "/etc/ca.pem"
            [[logging.tracing_sample_ratio.rules]]
            protocol = "grpc"
            request_types = ["Heartbeat"]
            ratio = 0.1
            [export_metrics.remote_write]
            url = "http://x:4000/v1/prometheus/write"
            headers = { Authorization = "Bearer t0ken" }
            """);
    MetasrvOptions options = ConfigLoader.load(file);
    assertThat(options.wal().sasl())
        .contains(new WalOptions.Sasl(WalOptions.SaslMechanism.SCRAM_SHA_256, "metasrv", "s3cret"));
    assertThat(options.wal().tls())
        .contains(
            new WalOptions.Tls(Optional.of("/etc/ca.pem"), Optional.empty(), Optional.empty()));
    assertThat(options.logging().tracingSampleRatio().orElseThrow())
        .isEqualTo(
            new LoggingOptions.TracingSampleRatio(
                1.0,
                List.of(new LoggingOptions.TracingSampleRule("grpc", List.of("Heartbeat"), 0.1))));
    assertThat(options.exportMetrics().remoteWrite().orElseThrow().headers())
        .containsExactly(Map.entry("Authorization", "Bearer t0ken"));
  }

  @Test
  void envCanSetKeysInsideOptionalSectionsAndMaps() throws IOException {
    Path file =
        toml(
            """
            [export_metrics.remote_write]
            url = "http://x:4000/write"
            """);
    Map<String, String> env =
        Map.of(
            "GREPTIMEDB_METASRV__EXPORT_METRICS__REMOTE_WRITE__HEADERS__AUTHORIZATION",
            "Bearer abc");
    MetasrvOptions options = ConfigLoader.load(file, env, Map.of());
    assertThat(options.exportMetrics().remoteWrite().orElseThrow())
        .isEqualTo(
            new ExportMetricsOptions.RemoteWrite(
                "http://x:4000/write", Map.of("authorization", "Bearer abc")));
  }

  @Test
  void fileWithByteOrderMarkLoads() throws IOException {
    Path file = toml("\uFEFFbind_addr = \"127.0.0.1:3012\"\n");
    assertThat(ConfigLoader.load(file).bindAddr()).isEqualTo("127.0.0.1:3012");
  }

  @Test
  void tomlDottedKeysAreSectionKeys() throws IOException {
    Path file = toml("http.addr = \"127.0.0.1:4001\"\n");
    assertThat(ConfigLoader.load(file).http().addr()).isEqualTo("127.0.0.1:4001");
  }

  @Test
  void emptyFileMeansDefaults() throws IOException {
    assertThat(ConfigLoader.load(toml("# nothing\n"))).isEqualTo(MetasrvOptions.defaults());
  }

  @Test
  void sizesMayBeTomlIntegersMeaningBytes() throws IOException {
    Path file =
        toml(
            """
            [http]
            body_limit = 1048576
            """);
    assertThat(ConfigLoader.load(file).http().bodyLimit()).isEqualTo(ReadableSize.ofMib(1));
  }

  @Test
  void floatKeysAcceptTomlIntegers() throws IOException {
    Path file =
        toml(
            """
            [failure_detector]
            threshold = 9
            """);
    assertThat(ConfigLoader.load(file).failureDetector().threshold()).isEqualTo(9.0);
  }

  @Test
  void tomlGivenAsTextLoadsAsTheSameFileWouldAndErrorsNameItsSource() throws IOException {
    String text =
        """
        [procedure]
        max_retry_times = 5
        """;
    Map<String, String> overrides = Map.of("bind_addr", "0.0.0.0:3002");
    assertThat(ConfigLoader.load(text, "spec.options.toml", Map.of(), overrides))
        .isEqualTo(ConfigLoader.load(toml(text), Map.of(), overrides));

    assertThatThrownBy(
            () -> ConfigLoader.load("[procedure]\nmax_retry_tims = 5\n", "inline", Map.of(), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.keyPath()).isEqualTo("procedure.max_retry_tims");
              assertThat(e.source()).isEqualTo("inline");
            });
    assertThatThrownBy(() -> ConfigLoader.load("a = \n", "inline", Map.of(), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.reason()).startsWith("malformed TOML at line 1");
              assertThat(e.source()).isEqualTo("inline");
            });
  }
}
