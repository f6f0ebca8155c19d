package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigValidationTest {
  @TempDir Path dir;

  private Path file;

  private ConfigException fromFile(String toml) {
    try {
      file = dir.resolve("metasrv.toml");
      Files.writeString(file, toml);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));
  }

  private static ConfigException fromEnv(Map<String, String> env) {
    return catchThrowableOfType(
        ConfigException.class, () -> ConfigLoader.load(null, env, Map.of()));
  }

  private static ConfigException fromOverrides(Map<String, String> overrides) {
    return catchThrowableOfType(
        ConfigException.class, () -> ConfigLoader.load(null, Map.of(), overrides));
  }

  @Test
  void unknownTopLevelKeySuggestsTheClosestKnownKey() {
    ConfigException e = fromFile("bind_adr = \"127.0.0.1:3002\"\n");
    assertThat(e.keyPath()).isEqualTo("bind_adr");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean bind_addr?");
    assertThat(e.source()).isEqualTo(file.toString());
    assertThat(e)
        .hasMessage(
            "invalid configuration: bind_adr (in "
                + file
                + "): unknown key; did you mean bind_addr?");
  }

  @Test
  void unknownNestedKeySuggestsWithinItsSection() {
    ConfigException e = fromFile("[http]\nadr = \"127.0.0.1:4000\"\n");
    assertThat(e.keyPath()).isEqualTo("http.adr");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean http.addr?");
  }

  @Test
  void keyInTheWrongSectionSuggestsWhereItBelongs() {
    assertThat(fromFile("[datanode]\ntimeout = \"5s\"\n").reason())
        .isEqualTo("unknown key; did you mean datanode.client.timeout?");
    assertThat(fromFile("[http]\nbind_addr = \"127.0.0.1:3002\"\n").reason())
        .isEqualTo("unknown key; did you mean bind_addr?");
  }

  @Test
  void keyThatFitsSeveralSectionsOffersEach() {
    assertThat(fromFile("timeout = \"5s\"\n").reason())
        .isEqualTo("unknown key; did you mean http.timeout or datanode.client.timeout?");
  }

  @Test
  void misspelledSectionIsAnUnknownKey() {
    ConfigException e = fromFile("[procdure]\nmax_retry_times = 3\n");
    assertThat(e.keyPath()).isEqualTo("procdure");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean procedure?");
  }

  @Test
  void unknownKeyFarFromAnyKnownOneHasNoSuggestion() {
    assertThat(fromFile("[wal]\nzookeeper = \"z:2181\"\n").reason()).isEqualTo("unknown key");
  }

  @Test
  void unknownEnvKeyNamesTheVariable() {
    ConfigException e = fromEnv(Map.of("GREPTIMEDB_METASRV__BIND_ADR", "127.0.0.1:3002"));
    assertThat(e.keyPath()).isEqualTo("bind_adr");
    assertThat(e.source()).isEqualTo("GREPTIMEDB_METASRV__BIND_ADR");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean bind_addr?");
  }

  @Test
  void envVariableWithSingleUnderscoreBetweenLevelsIsExplained() {
    ConfigException e = fromEnv(Map.of("GREPTIMEDB_METASRV__HTTP_ADDR", "127.0.0.1:4000"));
    assertThat(e.keyPath()).isEqualTo("http_addr");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean http.addr?");
  }

  @Test
  void unknownOverrideNamesTheFlag() {
    ConfigException e = fromOverrides(Map.of("http.adrr", "127.0.0.1:4000"));
    assertThat(e.keyPath()).isEqualTo("http.adrr");
    assertThat(e.source()).isEqualTo("--http-adrr");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean http.addr?");
  }

  @Test
  void unknownRuntimeKeyIsStillRejected() {
    ConfigException e = fromFile("[runtime]\nglobal_rt_sise = 4\n");
    assertThat(e.keyPath()).isEqualTo("runtime.global_rt_sise");
    assertThat(e.reason()).isEqualTo("unknown key; did you mean runtime.global_rt_size?");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
max_txn_ops = "abc"                     | max_txn_ops                  | expected an integer, got "abc"
max_txn_ops = "128"                     | max_txn_ops                  | expected an integer, got "128"
max_txn_ops = 1.5                       | max_txn_ops                  | expected an integer, got 1.5
max_txn_ops = -1                        | max_txn_ops                  | must not be negative, got -1
max_txn_ops = 99999999999               | max_txn_ops                  | must be at most 2147483647, got 99999999999
use_memory_store = "yes"                | use_memory_store             | expected a boolean (true or false), got "yes"
bind_addr = 3002                        | bind_addr                    | expected a string, got 3002
store_addrs = "127.0.0.1:2379"          | store_addrs                  | expected an array such as ["a", "b"], got "127.0.0.1:2379"
store_addrs = ["a:1", 2]                | store_addrs[1]               | expected a string, got 2
http = "127.0.0.1:4000"                 | http                         | is a section; set its keys (http.<key>), not the section itself
node_max_idle_time = 86400              | node_max_idle_time           | expected a duration such as "500ms" or "24h", got 86400
node_max_idle_time = "2 fortnights"     | node_max_idle_time           | unknown time unit "fortnights" in "2 fortnights"; supported units: ns, us, ms, s, m, h, d, w, M (months), y and longer spellings such as mins or hours
node_max_idle_time = "1 day and a bit"  | node_max_idle_time           | expected a number at offset 6 of "1 day and a bit"
node_max_idle_time = "10"               | node_max_idle_time           | time unit needed, for example 10s or 10ms
selector = "random"                     | selector                     | expected one of round_robin, lease_based, load_based; got "random"
backend = "etcd"                        | backend                      | expected one of etcd_store, memory_store, postgres_store, mysql_store; got "etcd"
""")
  void wrongTypesAndMalformedValuesNameTheKey(String toml, String keyPath, String reason) {
    ConfigException e = fromFile(toml);
    assertThat(e.keyPath()).isEqualTo(keyPath);
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.source()).isEqualTo(file.toString());
  }

  @Test
  void malformedSizeNamesTheKeyAndTheValidUnits() {
    ConfigException e = fromFile("[procedure]\nmax_metadata_value_size = \"1.5 mb\"\n");
    assertThat(e.keyPath()).isEqualTo("procedure.max_metadata_value_size");
    assertThat(e.reason()).startsWith("invalid size \"1.5 mb\": unit must be one of B, KB, KiB");
  }

  @Test
  void malformedEnvValuesNameTheVariable() {
    ConfigException e = fromEnv(Map.of("GREPTIMEDB_METASRV__MAX_TXN_OPS", "lots"));
    assertThat(e.keyPath()).isEqualTo("max_txn_ops");
    assertThat(e.source()).isEqualTo("GREPTIMEDB_METASRV__MAX_TXN_OPS");
    assertThat(e.reason()).isEqualTo("expected an integer, got \"lots\"");

    ConfigException section = fromEnv(Map.of("GREPTIMEDB_METASRV__PROCEDURE", "x"));
    assertThat(section.keyPath()).isEqualTo("procedure");
    assertThat(section.reason()).startsWith("is a section");
  }

  @Test
  void malformedTomlGivesTheLine() {
    ConfigException e = fromFile("bind_addr = \"127.0.0.1:3002\"\n[http\naddr = 1\n");
    assertThat(e.keyPath()).isEmpty();
    assertThat(e.reason()).startsWith("malformed TOML at line 2");
    assertThat(e.getMessage())
        .startsWith("invalid configuration (in " + file + "): malformed TOML at line 2");
  }

  @Test
  void missingFileIsAConfigError() {
    Path missing = dir.resolve("absent.toml");
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(missing));
    assertThat(e.source()).isEqualTo(missing.toString());
    assertThat(e.reason()).isEqualTo("cannot read the file: no such file");
  }

  @Test
  void requiredKeysOfSaslAreReported() {
    ConfigException e = fromFile("[wal.sasl]\ntype = \"PLAIN\"\nusername = \"u\"\n");
    assertThat(e.keyPath()).isEqualTo("wal.sasl.password");
    assertThat(e.reason()).isEqualTo("missing; every key of [wal.sasl] is required");
  }

  @Test
  void listsOfTablesCannotComeFromTheEnvironment() {
    ConfigException e =
        fromEnv(Map.of("GREPTIMEDB_METASRV__LOGGING__TRACING_SAMPLE_RATIO__RULES", "x"));
    assertThat(e.keyPath()).isEqualTo("logging.tracing_sample_ratio.rules");
    assertThat(e.reason()).isEqualTo("can only be set in a config file");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
max_txn_ops | 0 | must be at least 1
bind_addr | 127.0.0.1 | expected host:port with a port from 1 to 65535, got "127.0.0.1"
bind_addr | 127.0.0.1:0 | expected host:port with a port from 1 to 65535, got "127.0.0.1:0"
bind_addr | 127.0.0.1:65536 | expected host:port with a port from 1 to 65535, got "127.0.0.1:65536"
bind_addr | :3002 | expected host:port with a port from 1 to 65535, got ":3002"
bind_addr | ::1:3002 | expected host:port with a port from 1 to 65535, got "::1:3002"
http.addr | localhost:http | expected host:port with a port from 1 to 65535, got "localhost:http"
server_addr | 0.0.0.0:3002 | is advertised to other nodes, so it cannot be a wildcard address; set an address they can reach, or leave it empty to detect one
procedure.max_running_procedures | 0 | must be at least 1
procedure.max_metadata_value_size | 0 | must be at least 1B (large values are split into pieces of this size)
failure_detector.threshold | 0 | must be greater than 0
failure_detector.min_std_deviation | 0s | must be longer than 0s
node_max_idle_time | 0s | must be longer than 0s
meta_table_name | metakv; DROP TABLE x | must be a plain SQL identifier (letters, digits and _, not starting with a digit, at most 63 characters), as it is written into SQL statements
enable_region_failover | true | region failover needs a remote WAL: set wal.provider = "kafka"
""")
  void impossibleValuesAreRejectedWithTheFlagAsSource(String key, String value, String reason) {
    ConfigException e = fromOverrides(Map.of(key, value));
    assertThat(e.keyPath()).isEqualTo(key);
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.source()).isEqualTo("--" + key.replace('.', '-').replace('_', '-'));
  }

  @Test
  void bracketedIpv6AddressesAreAccepted() {
    assertThat(ConfigLoader.load(null, Map.of(), Map.of("bind_addr", "[::1]:3002")).bindAddr())
        .isEqualTo("[::1]:3002");
  }

  @Test
  void emptyStoreAddrsNeedsAMemoryStore() {
    ConfigException e = fromOverrides(Map.of("store_addrs", ""));
    assertThat(e.keyPath()).isEqualTo("store_addrs");
    assertThat(e.reason())
        .isEqualTo(
            "must not be empty when backend is etcd_store (set use_memory_store = true to run"
                + " without a store)");

    ConfigException fromFile = fromFile("backend = \"mysql_store\"\nstore_addrs = []\n");
    assertThat(fromFile.reason()).startsWith("must not be empty when backend is mysql_store");
    assertThat(fromFile.source()).isEqualTo(file.toString());

    assertThat(
            ConfigLoader.load(null, Map.of(), Map.of("store_addrs", "", "use_memory_store", "true"))
                .storeAddrs())
        .isEmpty();
  }

  @Test
  void sqlBackendsTakeOneConnectionString() {
    ConfigException e =
        fromEnv(
            Map.of(
                "GREPTIMEDB_METASRV__BACKEND", "postgres_store",
                "GREPTIMEDB_METASRV__STORE_ADDRS", "postgresql://h1:5432,h2:5432/greptime"));
    assertThat(e.keyPath()).isEqualTo("store_addrs");
    assertThat(e.source()).isEqualTo("GREPTIMEDB_METASRV__STORE_ADDRS");
    assertThat(e.reason())
        .startsWith("postgres_store takes exactly one connection string, got 2 entries");
  }

  @Test
  void validationErrorOnADefaultNamesTheDefaults() {
    ConfigException e = fromOverrides(Map.of("enable_region_failover", "true"));
    assertThat(e.keyPath()).isEqualTo("enable_region_failover");
    ConfigException onDefault = fromFile("[wal]\nprovider = \"kafka\"\nbroker_endpoints = []\n");
    assertThat(onDefault.keyPath()).isEqualTo("wal.broker_endpoints");
    assertThat(onDefault.reason())
        .isEqualTo("must list at least one broker when wal.provider is kafka");
  }

  @Test
  void kafkaSettingsAreValidatedOnlyForKafka() {
    String badPrefix = "[wal]\nprovider = \"%s\"\ntopic_name_prefix = \"wal topic\"\n";
    assertThat(
            ConfigLoader.load(null, Map.of(), Map.of("wal.topic_name_prefix", "wal topic"))
                .wal()
                .topicNamePrefix())
        .isEqualTo("wal topic");
    ConfigException e = fromFile(badPrefix.formatted("kafka"));
    assertThat(e.keyPath()).isEqualTo("wal.topic_name_prefix");
    assertThat(fromFile("[wal]\nprovider = \"kafka\"\nbroker_endpoints = [\"kafka\"]\n").keyPath())
        .isEqualTo("wal.broker_endpoints");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
wal.backoff_init | 0s | must be longer than 0s
wal.backoff_max | 100ms | must not be shorter than wal.backoff_init
wal.create_topic_timeout | 0s | must be longer than 0s
wal.create_topic_timeout | 30days | must be at most 2147483647ms: Kafka takes it as a 32-bit number of ms
""")
  void kafkaTimingsThatCannotWorkAreRejected(String key, String value, String reason) {
    ConfigException e = fromOverrides(Map.of("wal.provider", "kafka", key, value));
    assertThat(e.keyPath()).isEqualTo(key);
    assertThat(e.reason()).isEqualTo(reason);
  }

  @Test
  void kafkaClientCertificateNeedsItsKey() {
    ConfigException e = fromFile(
        "[wal]\nprovider = \"kafka\"\n[wal.tls]\nclient_cert_path = \"/etc/wal/client.pem\"\n");
    assertThat(e.keyPath()).isEqualTo("wal.tls.client_cert_path");
    assertThat(e.reason())
        .isEqualTo("is set but client_key_path is not: a client certificate needs its key");
  }

  @Test
  void exportMetricsNeedsExactlyOneTargetWhenEnabled() {
    ConfigException none = fromFile("[export_metrics]\nenable = true\n");
    assertThat(none.keyPath()).isEqualTo("export_metrics");
    assertThat(none.reason())
        .isEqualTo(
            "set exactly one of [export_metrics.self_import] and [export_metrics.remote_write]");

    ConfigException badUrl =
        fromFile("[export_metrics]\nenable = true\n[export_metrics.remote_write]\nurl = \"\"\n");
    assertThat(badUrl.keyPath()).isEqualTo("export_metrics.remote_write.url");

    ConfigException subSecond =
        fromFile(
            "[export_metrics]\n"
                + "enable = true\n"
                + "write_interval = \"500ms\"\n"
                + "[export_metrics.self_import]\n");
    assertThat(subSecond.keyPath()).isEqualTo("export_metrics.write_interval");
  }

  @Test
  void aMemoryStoreOverrideIsNotAnError() {
    MetasrvOptions options =
        ConfigLoader.load(
            null,
            Map.of("GREPTIMEDB_METASRV__BACKEND", "mysql_store"),
            Map.of("use_memory_store", "true"));
    assertThat(options.backend()).isEqualTo(BackendKind.MEMORY_STORE);
  }
}
