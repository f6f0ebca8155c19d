package io.metasrv.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.cluster.ClusterSpecValidator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every MetasrvCluster in manifests/samples passes the operator's own validation, which the CRD
 * schema cannot do: the options go through the same configuration code as the pods (a sample
 * that enabled region failover without a Kafka WAL passed the schema and stalled in the
 * operator), and referenced Secrets must exist with their keys. The Secrets are the ones the
 * samples carry, since a sample is meant to run as it is.
 */
class SampleClusterValidationTest {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  /** kubectl apply without -n puts the samples in the context's namespace. */
  private static final String NAMESPACE = "default";

  private static final List<JsonNode> SAMPLES =
      Manifests.yamlFiles(Manifests.SAMPLES).stream()
          .map(Manifests::read)
          .flatMap(List::stream)
          .toList();

  private static final Map<String, Secret> SECRETS =
      Manifests.ofKind(SAMPLES, "Secret").stream()
          .map(s -> SERIALIZATION.convertValue(s, Secret.class))
          .collect(Collectors.toMap(s -> s.getMetadata().getName(), Function.identity()));

  static Stream<Arguments> sampleClusters() {
    return Manifests.yamlFiles(Manifests.SAMPLES).stream()
        .flatMap(file -> Manifests.ofKind(Manifests.read(file), "MetasrvCluster").stream()
            .map(cluster -> Arguments.of(label(file, cluster), cluster)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sampleClusters")
  void everySampleClusterIsValidForTheOperator(String label, JsonNode sample) {
    MetasrvCluster cluster = SERIALIZATION.convertValue(sample, MetasrvCluster.class);
    if (cluster.getMetadata().getNamespace() == null) {
      cluster.getMetadata().setNamespace(NAMESPACE);
    }
    ClusterSpecValidator validator = new ClusterSpecValidator(
        (namespace, name) -> namespace.equals(NAMESPACE)
            ? Optional.ofNullable(SECRETS.get(name)) : Optional.empty());

    assertThatCode(() -> validator.validate(cluster)).doesNotThrowAnyException();
  }

  @Test
  void theSamplesCoverEveryBackendTheyShowInTheReadme() {
    assertThat(sampleClusters().map(a -> (String) a.get()[0]))
        .contains(
            "etcd-lease-cluster.yaml: metasrv-etcd",
            "postgres-cluster.yaml: metasrv-postgres",
            "mysql-cluster.yaml: metasrv-mysql",
            "memory-cluster.yaml: metasrv-dev");
  }

  private static String label(Path file, JsonNode cluster) {
    return file.getFileName() + ": " + Manifests.name(cluster);
  }
}
