package io.metasrv.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * manifests/install.yaml carries the CRDs of crds/ and the operator's RBAC and Deployment of
 * manifests/operator/: when either changes, this fails until install.yaml follows.
 */
class InstallManifestTest {
  private static final List<JsonNode> INSTALL = Manifests.read(Manifests.INSTALL);
  private static final List<JsonNode> OPERATOR =
      Manifests.yamlFiles(Manifests.OPERATOR).stream().map(Manifests::read)
          .flatMap(List::stream).toList();

  @Test
  void carriesExactlyTheCrdsOfTheCrdsDirectory() {
    assertThat(byName(Manifests.ofKind(INSTALL, "CustomResourceDefinition")))
        .isEqualTo(byName(Manifests.crds()));
  }

  @Test
  void grantsTheOperatorExactlyTheRulesOfManifestsOperator() {
    assertThat(Manifests.only(INSTALL, "ClusterRole").get("rules"))
        .isEqualTo(Manifests.only(OPERATOR, "ClusterRole").get("rules"));
    for (String kind : List.of("ServiceAccount", "ClusterRoleBinding")) {
      assertThat(Manifests.only(INSTALL, kind)).as(kind)
          .isEqualTo(Manifests.only(OPERATOR, kind));
    }
  }

  /** The image is not compared: install.yaml pins the release's tag. */
  @Test
  void runsTheOperatorAsManifestsOperatorDoes() {
    JsonNode install = Manifests.only(INSTALL, "Deployment");
    JsonNode operator = Manifests.only(OPERATOR, "Deployment");
    assertThat(Manifests.id(install)).isEqualTo(Manifests.id(operator));
    assertThat(install.at("/spec/replicas")).isEqualTo(operator.at("/spec/replicas"));
    assertThat(install.at("/spec/template/metadata")).isEqualTo(operator.at("/spec/template/metadata"));
    String[] podFields = {"serviceAccountName", "securityContext", "volumes"};
    assertThat(Manifests.pick(install.at("/spec/template/spec"), podFields))
        .isEqualTo(Manifests.pick(operator.at("/spec/template/spec"), podFields));
    String[] containerFields = {"name", "args", "ports", "livenessProbe", "readinessProbe",
        "resources", "securityContext", "volumeMounts"};
    assertThat(Manifests.pick(Manifests.container(install), containerFields))
        .isEqualTo(Manifests.pick(Manifests.container(operator), containerFields));
  }

  @Test
  void putsEveryNamespacedObjectInTheNamespaceItCreates() {
    String namespace = Manifests.name(Manifests.only(INSTALL, "Namespace"));
    List<String> clusterScoped = List.of("Namespace", "CustomResourceDefinition", "ClusterRole",
        "ClusterRoleBinding");
    for (JsonNode object : INSTALL) {
      if (!clusterScoped.contains(Manifests.kind(object))) {
        assertThat(object.at("/metadata/namespace").asText()).as(Manifests.id(object))
            .isEqualTo(namespace);
      }
    }
    assertThat(Manifests.only(INSTALL, "ClusterRoleBinding").at("/subjects/0/namespace").asText())
        .isEqualTo(namespace);
  }

  @Test
  void runsAsNonRootWithProbesAndResources() {
    assertOperatorPodHardened(Manifests.only(INSTALL, "Deployment"));
  }

  @Test
  void aReadOnlyRootFilesystemComesWithAWritableTmp() {
    assertWritableTmp(Manifests.only(INSTALL, "Deployment"));
    assertWritableTmp(Manifests.only(OPERATOR, "Deployment"));
  }

  @Test
  void manifestsOperatorIsHardenedAsInstallYamlIs() {
    assertOperatorPodHardened(Manifests.only(OPERATOR, "Deployment"));
  }

  @Test
  void theMetricsServiceSelectsTheOperatorPodsOnTheHealthPort() {
    assertMetricsServiceSelects(Manifests.only(INSTALL, "Service"),
        Manifests.only(INSTALL, "Deployment"));
  }

  static void assertOperatorPodHardened(JsonNode deployment) {
    JsonNode pod = deployment.at("/spec/template/spec");
    JsonNode container = Manifests.container(deployment);
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/securityContext/runAsUser").asInt()).isPositive();
    // What the restricted Pod Security Standard asks for.
    assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(container.at("/securityContext/capabilities/drop").toString()).contains("ALL");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
    assertThat(container.at("/resources/requests/memory").asText()).isNotEmpty();
    assertThat(container.at("/resources/limits/memory").asText()).isNotEmpty();
    assertThat(container.path("args").get(0).asText()).isEqualTo("operator");
  }

  /**
   * The operator itself writes no files (ClusterSpecValidator reads options.toml from the spec's
   * text), but with a read-only root filesystem the JVM and the libraries still find a writable
   * temporary directory.
   */
  static void assertWritableTmp(JsonNode deployment) {
    JsonNode container = Manifests.container(deployment);
    if (container.at("/securityContext/readOnlyRootFilesystem").asBoolean(false)) {
      JsonNode mount = stream(container.path("volumeMounts"))
          .filter(m -> m.path("mountPath").asText().equals("/tmp")).findFirst().orElseThrow(
              () -> new AssertionError("read-only root filesystem without a volume on /tmp"));
      assertThat(stream(deployment.at("/spec/template/spec/volumes"))
          .filter(v -> v.path("name").equals(mount.path("name"))))
          .singleElement().satisfies(v -> assertThat(v.has("emptyDir")).isTrue());
    }
  }

  static void assertMetricsServiceSelects(JsonNode service, JsonNode deployment) {
    Map<String, String> podLabels =
        Manifests.stringMap(deployment.at("/spec/template/metadata/labels"));
    assertThat(podLabels).containsAllEntriesOf(Manifests.stringMap(service.at("/spec/selector")));
    String healthPort = Manifests.container(deployment).at("/ports/0/name").asText();
    assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo(healthPort);
  }

  static Map<String, JsonNode> byName(List<JsonNode> objects) {
    return objects.stream().collect(Collectors.toMap(Manifests::name, Function.identity()));
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false);
  }
}
