package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigPrinterTest {
  @TempDir Path dir;

  private MetasrvOptions reload(String toml) throws IOException {
    Path file = dir.resolve("printed.toml");
    Files.writeString(file, toml);
    return ConfigLoader.load(file);
  }

  private MetasrvOptions load(String toml) throws IOException {
    Path file = dir.resolve("input.toml");
    Files.writeString(file, toml);
    return ConfigLoader.load(file);
  }

  @Test
  void printsEveryKeyInGreptimeDbsForm() {
    String toml = ConfigPrinter.toToml(MetasrvOptions.defaults());
    assertThat(toml)
        .contains("bind_addr = \"127.0.0.1:3002\"\n")
        .contains("store_addrs = [\"127.0.0.1:2379\"]\n")
        .contains("max_txn_ops = 128\n")
        .contains("node_max_idle_time = \"24h\"\n")
        .contains("backend = \"etcd_store\"\n")
        .contains(
            "[procedure]\n"
                + "max_retry_times = 12\n"
                + "retry_delay = \"500ms\"\n"
                + "max_metadata_value_size = \"1500KiB\"\n")
        .contains("[datanode.client]\n")
        .contains("threshold = 8.0\n")
        .contains("# level: not set\n")
        .contains("# [wal.sasl]: not set\n");
  }

  @Test
  void everyKeyIsWrittenOrCommentedAsNotSet() throws IOException {
    String toml = ConfigPrinter.toToml(MetasrvOptions.defaults());
    JsonNode printed = new TomlMapper().readTree(toml);
    List<String> keyPaths = OptionsSchema.allKeyPaths(MetasrvOptions.class);
    for (String key : keyPaths) {
      String name = key.substring(key.lastIndexOf('.') + 1);
      boolean written = !printed.at("/" + key.replace('.', '/')).isMissingNode();
      boolean commented =
          toml.contains("# " + name + ": not set") || toml.contains("# [" + key + "]: not set");
      boolean inUnsetSection =
          keyPaths.stream()
              .anyMatch(
                  section ->
                      key.startsWith(section + ".")
                          && toml.contains("# [" + section + "]: not set"));
      assertThat(written || commented || inUnsetSection).as("key %s in%n%s", key, toml).isTrue();
    }
  }

  @Test
  void defaultsRoundTrip() throws IOException {
    assertThat(reload(ConfigPrinter.toToml(MetasrvOptions.defaults())))
        .isEqualTo(MetasrvOptions.defaults());
  }

  @Test
  void everySectionRoundTrips() throws IOException {
    MetasrvOptions options =
        load(
            """
            bind_addr = "0.0.0.0:3002"
            server_addr = "10.1.2.3:3002"
            store_addrs = ["etcd-0:2379", "etcd-1:2379"]
            selector = "load_based"
            enable_region_failover = true
            store_key_prefix = "tenant-a/"
            max_txn_ops = 64
            node_max_idle_time = "1h 30m"
            [http]
            addr = "0.0.0.0:4000"
            timeout = "1m30s"
            body_limit = "1.5MiB"
            cors_allowed_origins = ["https://a.example", "https://b.example"]
            [logging]
            level = "info,io.metasrv.kv=debug"
            log_format = "json"
            [logging.slow_query]
            threshold = "2s"
            sample_ratio = 0.25
            [[logging.tracing_sample_ratio.rules]]
            protocol = "grpc"
            request_types = ["Heartbeat", "Range"]
            ratio = 0.5
            [[logging.tracing_sample_ratio.rules]]
            protocol = "http"
            [procedure]
            retry_delay = "250ms"
            max_metadata_value_size = 1000
            [wal]
            provider = "kafka"
            broker_endpoints = ["kafka-0:9092"]
            backoff_deadline = "1h"
            [wal.tls]
            client_cert_path = "/tls/cert.pem"
            client_key_path = "/tls/key.pem"
            [export_metrics]
            enable = true
            write_interval = "15s"
            [export_metrics.remote_write]
            url = "https://prom.example/write"
            headers = { "X-Scope-OrgID" = "tenant \\"a\\"" }
            """);
    assertThat(options.logging().tracingSampleRatio().orElseThrow().rules()).hasSize(2);
    assertThat(options.procedure().maxMetadataValueSize().bytes()).isEqualTo(1000);

    assertThat(reload(ConfigPrinter.toUnredactedToml(options))).isEqualTo(options);
    assertThat(reload(ConfigPrinter.toToml(options))).isEqualTo(options);
  }

  @Test
  void secretsAreRedactedWhereverTheyAre() throws IOException {
    MetasrvOptions options =
        load(
            """
backend = "postgres_store"
store_addrs = ["host=pg user=metasrv password='p@ss word' dbname=meta"]
[wal.sasl]
type = "PLAIN"
username = "metasrv"
password = "kafka-secret"
[export_metrics.remote_write]
url = "https://user:url-secret@prom.example/write"
headers = { Authorization = "Bearer header-secret", X-Api-Key = "key-secret", X-Tenant = "a" }
""");
    String printed = ConfigPrinter.toToml(options);
    assertThat(printed)
        .doesNotContain("p@ss word", "kafka-secret", "url-secret", "header-secret", "key-secret")
        .contains("store_addrs = [\"host=pg user=metasrv password=<redacted> dbname=meta\"]")
        .contains("username = \"metasrv\"\npassword = \"<redacted>\"")
        .contains("url = \"https://user:<redacted>@prom.example/write\"")
        .contains("\"Authorization\" = \"<redacted>\"")
        .contains("\"X-Tenant\" = \"a\"");

    String unredacted = ConfigPrinter.toUnredactedToml(options);
    assertThat(unredacted).contains("p@ss word", "kafka-secret", "url-secret", "header-secret");
    assertThat(reload(unredacted)).isEqualTo(options);
  }

  @Test
  void postgresUrlPasswordsAreRedacted() throws IOException {
    MetasrvOptions options =
        load(
            """
            backend = "postgres_store"
            store_addrs = ["postgresql://metasrv:pw-secret@pg:5432/meta?sslmode=require"]
            """);
    assertThat(ConfigPrinter.toToml(options))
        .contains("postgresql://metasrv:<redacted>@pg:5432/meta?sslmode=require")
        .doesNotContain("pw-secret");
  }

  @Test
  void saysWhichBackendIsInForceAndWhy() throws IOException {
    assertThat(ConfigPrinter.toToml(MetasrvOptions.defaults()))
        .contains(
            "# backend in force: etcd_store (backend = \"etcd_store\")\n"
                + "backend = \"etcd_store\"\n");

    MetasrvOptions overridden =
        ConfigLoader.load(
            null,
            Map.of("GREPTIMEDB_METASRV__BACKEND", "mysql_store"),
            Map.of("use_memory_store", "true"));
    String printed = ConfigPrinter.toToml(overridden);
    assertThat(printed)
        .contains("use_memory_store = true\n")
        .contains(
            "# backend in force: memory_store (use_memory_store = true overrides backend ="
                + " \"mysql_store\")\n"
                + "backend = \"memory_store\"\n");
    // Reloading the effective configuration keeps the effective backend; the note about the
    // replaced one describes the original load only.
    MetasrvOptions reloaded = reload(printed);
    assertThat(reloaded.backend()).isEqualTo(BackendKind.MEMORY_STORE);
    assertThat(reloaded.replacedBackend()).isEmpty();

    assertThat(ConfigPrinter.toToml(load("use_memory_store = true\n")))
        .contains("# backend in force: memory_store (use_memory_store = true)\n");
  }

  @Test
  void durationsAndSizesUseTheirHumanForm() throws IOException {
    MetasrvOptions options =
        load(
            """
            node_max_idle_time = "90s"
            [http]
            body_limit = "2048KB"
            """);
    assertThat(options.nodeMaxIdleTime()).isEqualTo(Duration.ofSeconds(90));
    assertThat(ConfigPrinter.toToml(options))
        .contains("node_max_idle_time = \"1m 30s\"\n")
        .contains("body_limit = \"2MiB\"\n");
  }
}
