package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code [election]}: the store's own election by default, or a Kubernetes Lease. */
class ElectionOptionsTest {
  @TempDir Path dir;

  private MetasrvOptions fromFile(String toml) throws IOException {
    Path file = dir.resolve("metasrv.toml");
    Files.writeString(file, toml);
    return ConfigLoader.load(file);
  }

  private ConfigException invalid(String electionSection) {
    return catchThrowableOfType(
        ConfigException.class, () -> fromFile("[election]\n" + electionSection));
  }

  @Test
  void defaultsAreTheStoresElectionAndClientGoTimings() {
    ElectionOptions defaults = MetasrvOptions.defaults().election();
    assertThat(defaults.kind()).isEqualTo(ElectionKind.BACKEND);
    assertThat(defaults.leaseName()).isEqualTo("metasrv-election");
    assertThat(defaults.namespace()).isEmpty();
    assertThat(defaults.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(defaults.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(defaults.kubeconfig()).isEmpty();
  }

  @Test
  void kubernetesLeaseSectionLoadsFromTheFile() throws IOException {
    ElectionOptions election =
        fromFile(
                """
                [election]
                kind = "kubernetes-lease"
                lease_name = "greptime-meta"
                namespace = "greptimedb"
                lease_duration = "2s"
                renew_deadline = "1500ms"
                retry_period = "500ms"
                kubeconfig = "/etc/metasrv/kubeconfig"
                """)
            .election();
    assertThat(election)
        .isEqualTo(
            new ElectionOptions(
                ElectionKind.KUBERNETES_LEASE,
                "greptime-meta",
                Optional.of("greptimedb"),
                Duration.ofSeconds(2),
                Duration.ofMillis(1500),
                Duration.ofMillis(500),
                Optional.of("/etc/metasrv/kubeconfig")));
  }

  @Test
  void environmentSelectsTheLeaseOverAnyBackend() {
    MetasrvOptions options =
        ConfigLoader.load(
            null,
            Map.of(
                "GREPTIMEDB_METASRV__ELECTION__KIND", "kubernetes_lease",
                "GREPTIMEDB_METASRV__ELECTION__NAMESPACE", "prod"),
            Map.of("backend", "memory_store"));
    assertThat(options.election().kind()).isEqualTo(ElectionKind.KUBERNETES_LEASE);
    assertThat(options.election().namespace()).contains("prod");
    assertThat(options.backend()).isEqualTo(BackendKind.MEMORY_STORE);
  }

  @Test
  void printedConfigShowsTheSectionAndLoadsBack() throws IOException {
    MetasrvOptions options =
        fromFile("[election]\nkind = \"kubernetes-lease\"\nnamespace = \"prod\"\n");
    String printed = ConfigPrinter.toToml(options);
    assertThat(printed)
        .contains(
            """
            [election]
            kind = "kubernetes-lease"
            lease_name = "metasrv-election"
            namespace = "prod"
            lease_duration = "15s"
            renew_deadline = "10s"
            retry_period = "2s"
            # kubeconfig: not set
            """);
    assertThat(fromFile(printed)).isEqualTo(options);
  }

  @Test
  void unknownKindNamesTheValidOnes() {
    ConfigException e = invalid("kind = \"zookeeper\"\n");
    assertThat(e.keyPath()).isEqualTo("election.kind");
    assertThat(e.reason())
        .isEqualTo("expected one of backend, kubernetes-lease; got \"zookeeper\"");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "lease_name = \"Metasrv_Election\"|election.lease_name",
        "lease_name = \"-leading-dash\"|election.lease_name",
        "namespace = \"kube.system\"|election.namespace",
        "lease_duration = \"1500ms\"|election.lease_duration",
        "renew_deadline = \"15s\"|election.renew_deadline",
        "retry_period = \"10s\"|election.retry_period",
        "retry_period = \"0s\"|election.retry_period",
      })
  void invalidLeaseSettingsNameTheKey(String setting, String keyPath) {
    assertThat(invalid(setting + "\n").keyPath()).isEqualTo(keyPath);
  }

  @Test
  void renewDeadlineMustLeaveFollowersTheirMargin() {
    assertThat(invalid("lease_duration = \"10s\"\n").reason())
        .startsWith("must be shorter than election.lease_duration");
  }
}
