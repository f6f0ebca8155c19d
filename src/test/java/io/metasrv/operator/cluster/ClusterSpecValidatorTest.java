package io.metasrv.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec.ElectionKind;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.model.StoreKind;
import io.metasrv.operator.model.ValidCluster;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/** The validator alone, without an API server: no Secrets exist here. */
class ClusterSpecValidatorTest {
  private final ClusterSpecValidator validator =
      new ClusterSpecValidator((namespace, name) -> Optional.empty());

  @Test
  void aMemoryClusterRendersTheMemoryStoreUnderBothItsNames() throws InvalidSpecException {
    ValidCluster valid = validator.validate(memoryCluster());

    assertThat(valid.store().kind()).isEqualTo(StoreKind.MEMORY);
    assertThat(valid.store().hasCredentials()).isFalse();
    assertThat(valid.replicas()).isEqualTo(1);
    assertThat(valid.election()).isEqualTo(ElectionKind.BACKEND);
    assertThat(valid.config().toml())
        .contains("\nbackend = \"memory_store\"\n")
        .contains("\nuse_memory_store = true\n")
        .doesNotContain("[election]\nkind = \"kubernetes-lease\"");
  }

  @Test
  void aMemoryClusterWithMoreThanOneReplicaIsRefusedNamingReplicas() {
    MetasrvCluster cluster = memoryCluster();
    cluster.getSpec().replicas = 2;
    assertInvalid(cluster, "spec.replicas").hasMessageContaining("got 2");

    // Left out, replicas is the schema default of 3, which a memory store cannot have either.
    cluster.getSpec().replicas = null;
    assertInvalid(cluster, "spec.replicas").hasMessageContaining("got 3 (the default)");
  }

  @Test
  void aMemoryClusterElectingWithALeaseIsRefusedNamingElection() {
    MetasrvCluster cluster = memoryCluster();
    cluster.getSpec().election = ElectionKind.KUBERNETES_LEASE;
    assertInvalid(cluster, "spec.election").hasMessageContaining("leads alone");
  }

  @Test
  void memoryIsOneBackendAmongFour() {
    MetasrvCluster cluster = memoryCluster();
    cluster.getSpec().backend.etcd = new MetasrvClusterSpec.Etcd();
    cluster.getSpec().backend.etcd.endpoints = List.of("etcd:2379");
    assertInvalid(cluster, "spec.backend").hasMessageContaining("[etcd, memory]");

    cluster.getSpec().backend = new MetasrvClusterSpec.Backend();
    assertInvalid(cluster, "spec.backend")
        .hasMessageContaining("exactly one of etcd, postgres, mysql and memory");
  }

  @Test
  void optionsTomlIsCheckedFromTheSpecAndItsErrorsNameTheKeyInIt() throws InvalidSpecException {
    MetasrvCluster cluster = memoryCluster();
    cluster.getSpec().options = new MetasrvClusterSpec.Options();
    cluster.getSpec().options.toml = "[procedure]\nmax_retry_times = 7\n";
    assertThat(validator.validate(cluster).config().toml()).contains("max_retry_times = 7");

    cluster.getSpec().options.toml = "[procedure]\nmax_retry_tims = 7\n";
    assertInvalid(cluster, "spec.options.toml: procedure.max_retry_tims")
        .hasMessageContaining("unknown key");

    // An override over the TOML is named as the override.
    cluster.getSpec().options.toml = "[procedure]\nmax_retry_times = 7\n";
    cluster.getSpec().options.overrides = java.util.Map.of("procedure.max_retry_times", "x");
    assertInvalid(cluster, "spec.options.overrides[procedure.max_retry_times]");
  }

  @Test
  void aNameTheServicesAndPodsCannotCarryIsRefusedNamingMetadataName() {
    // Services need a DNS-1035 label: lower case, starting with a letter, no dots.
    for (String name : List.of("1st", "a.b", "Dev", "dev-", "-dev", "de_v")) {
      MetasrvCluster cluster = memoryCluster();
      cluster.getMetadata().setName(name);
      assertInvalid(cluster, "metadata.name").hasMessageContaining("DNS-1035");
    }
  }

  @Test
  void theLongestNameIsTheOneTheControllerRevisionHashLabelLeavesRoomFor()
      throws InvalidSpecException {
    // <name>-<10 characters of hash> is a label value of the pods: at most 63 characters.
    MetasrvCluster cluster = memoryCluster();
    cluster.getMetadata().setName("a".repeat(63 - "-0123456789".length()));
    assertThat(validator.validate(cluster).names().peerService()).hasSizeLessThanOrEqualTo(63);

    cluster.getMetadata().setName("a".repeat(53));
    assertInvalid(cluster, "metadata.name").hasMessageContaining("at most 52 characters");
  }

  @Test
  void aRequestAboveItsLimitIsRefusedNamingTheRequest() throws InvalidSpecException {
    MetasrvCluster cluster = memoryCluster();
    cluster.getSpec().resources = new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("1500m"))
        .addToLimits("cpu", new Quantity("1"))
        .build();
    assertInvalid(cluster, "spec.resources.requests.cpu")
        .hasMessageContaining("spec.resources.limits.cpu");

    cluster.getSpec().resources = new ResourceRequirementsBuilder()
        .addToRequests("memory", new Quantity("1Gi"))
        .addToLimits("memory", new Quantity("1000Mi"))
        .build();
    assertInvalid(cluster, "spec.resources.requests.memory");

    // Equal amounts in other units, a request without a limit, a limit without a request.
    cluster.getSpec().resources = new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("1"))
        .addToLimits("cpu", new Quantity("1000m"))
        .addToRequests("memory", new Quantity("1Gi"))
        .addToLimits("ephemeral-storage", new Quantity("1Gi"))
        .build();
    validator.validate(cluster);
  }

  @Test
  void credentialsInOptionsAreRefusedPointingAtTheSecretReference() {
    MetasrvCluster cluster = memoryCluster();
    cluster.getSpec().options = new MetasrvClusterSpec.Options();
    cluster.getSpec().options.overrides = java.util.Map.of("backend_auth.password", "hunter2");
    assertInvalid(cluster, "spec.options.overrides[backend_auth.password]")
        .hasMessageContaining("spec.backend.postgres.credentialsSecret")
        .hasMessageNotContaining("hunter2");

    for (String toml : List.of(
        "[backend_auth]\nusername = \"meta\"\n",
        "backend_auth.password_file = \"/run/secrets/pw\"\n",
        "[backend_auth]\n")) {
      cluster.getSpec().options.overrides = null;
      cluster.getSpec().options.toml = toml;
      assertInvalid(cluster, "spec.options.toml")
          .hasMessageContaining("[backend_auth] is not accepted in options")
          .hasMessageContaining("credentialsSecret");
    }
  }

  static MetasrvCluster memoryCluster() {
    MetasrvCluster cluster = new MetasrvCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("dev").withNamespace("ns").build());
    MetasrvClusterSpec spec = new MetasrvClusterSpec();
    spec.image = "metasrv:test";
    spec.replicas = 1;
    spec.backend = new MetasrvClusterSpec.Backend();
    spec.backend.memory = new MetasrvClusterSpec.Memory();
    cluster.setSpec(spec);
    return cluster;
  }

  private AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(
      MetasrvCluster cluster, String field) {
    return assertThatThrownBy(() -> validator.validate(cluster))
        .isInstanceOfSatisfying(
            InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
