package io.metasrv.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * charts/metasrv-operator, through the real helm (helm-java runs Helm's Go code in-process).
 * Nothing here is skipped: if helm-java's native library cannot load, these tests fail.
 */
class HelmChartTest {
  private static final String RELEASE = "metasrv-operator";
  private static final String NAMESPACE = "metasrv-system";
  private static final String KUBE_VERSION = "1.30.0";
  private static final Path CHART_CRDS = Manifests.CHART.resolve("crds");

  @Test
  void passesHelmLintStrict() {
    LintResult lint = new Helm(Manifests.CHART).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void chartCrdsAreByteForByteTheCrdsDirectory() throws IOException {
    List<String> names = fileNames(Manifests.CRDS);
    assertThat(fileNames(CHART_CRDS)).isEqualTo(names);
    for (String name : names) {
      assertThat(Files.readString(CHART_CRDS.resolve(name)))
          .as("charts/metasrv-operator/crds/%s: copy crds/%s over it", name, name)
          .isEqualTo(Files.readString(Manifests.CRDS.resolve(name)));
    }
  }

  @Test
  void argoCdHealthCheckInTheChartIsTheOneInManifestsArgocd() throws IOException {
    assertThat(Files.readString(Manifests.CHART.resolve("files/metasrvcluster-health.lua")))
        .isEqualTo(Files.readString(Path.of("manifests/argocd/metasrvcluster-health.lua")));
  }

  /**
   * Same objects, rules and operator pod as install.yaml. Labels differ on purpose (the chart
   * adds the instance and Helm's labels). Not rendered by helm template, so left out here: the
   * Namespace (Helm's --create-namespace) and the CRDs (Helm installs crds/ apart from the
   * templates; helm-java has no --include-crds), which the test above holds to crds/.
   */
  @Test
  void defaultRenderingHasTheContentOfInstallYaml() {
    List<JsonNode> chart = render(t -> t);
    List<JsonNode> install = Manifests.read(Manifests.INSTALL).stream()
        .filter(o -> !List.of("Namespace", "CustomResourceDefinition").contains(Manifests.kind(o)))
        .toList();

    assertThat(chart.stream().map(Manifests::id).sorted())
        .containsExactlyElementsOf(install.stream().map(Manifests::id).sorted().toList());
    assertThat(Manifests.only(chart, "ClusterRole").get("rules"))
        .isEqualTo(Manifests.only(install, "ClusterRole").get("rules"));
    for (String kind : List.of("ClusterRoleBinding")) {
      assertThat(Manifests.pick(Manifests.only(chart, kind), "roleRef", "subjects"))
          .isEqualTo(Manifests.pick(Manifests.only(install, kind), "roleRef", "subjects"));
    }
    JsonNode chartDeployment = Manifests.only(chart, "Deployment");
    JsonNode installDeployment = Manifests.only(install, "Deployment");
    assertThat(chartDeployment.at("/spec/replicas")).isEqualTo(installDeployment.at("/spec/replicas"));
    assertThat(chartDeployment.at("/spec/template/metadata/annotations"))
        .isEqualTo(installDeployment.at("/spec/template/metadata/annotations"));
    // The whole pod spec: service account, security contexts, the container's image, args,
    // ports, probes, resources and the /tmp volume.
    assertThat(chartDeployment.at("/spec/template/spec"))
        .isEqualTo(installDeployment.at("/spec/template/spec"));
    assertThat(Manifests.only(chart, "Service").at("/spec/ports"))
        .isEqualTo(Manifests.only(install, "Service").at("/spec/ports"));
  }

  @Test
  void defaultRenderingIsHardenedAndItsServiceSelectsTheOperator() {
    List<JsonNode> chart = render(t -> t);
    JsonNode deployment = Manifests.only(chart, "Deployment");
    InstallManifestTest.assertOperatorPodHardened(deployment);
    InstallManifestTest.assertWritableTmp(deployment);
    InstallManifestTest.assertMetricsServiceSelects(Manifests.only(chart, "Service"), deployment);
    assertThat(Manifests.stringMap(deployment.at("/spec/template/metadata/labels")))
        .containsAllEntriesOf(Manifests.stringMap(deployment.at("/spec/selector/matchLabels")));
  }

  @Test
  void watchedNamespacesAreBoundPerNamespaceAndPassedToTheOperator() {
    List<JsonNode> chart = render(t -> t.set("watchNamespaces[0]", "team-a")
        .set("watchNamespaces[1]", "team-b"));

    assertThat(Manifests.ofKind(chart, "ClusterRoleBinding")).isEmpty();
    assertThat(Manifests.ofKind(chart, "RoleBinding").stream()
        .filter(b -> b.at("/roleRef/kind").asText().equals("ClusterRole"))
        .map(b -> b.at("/metadata/namespace").asText()))
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(Manifests.container(Manifests.only(chart, "Deployment")).get("args").toString())
        .contains("--namespace=team-a,team-b");
    // The operator's own Lease is in its namespace, which it does not watch.
    JsonNode leaseRole = Manifests.only(chart, "Role");
    assertThat(leaseRole.at("/metadata/namespace").asText()).isEqualTo(NAMESPACE);
    assertThat(leaseRole.at("/rules/0/resources").toString()).contains("leases");
    // JOSDK checks for get, create and update; fabric8's LeaseLock renews with a merge patch.
    assertThat(leaseRole.at("/rules/0/verbs").toString())
        .isEqualTo("[\"get\",\"create\",\"update\",\"patch\"]");
  }

  @Test
  void serviceMonitorIsRenderedOnlyWhenAskedFor() {
    assertThat(Manifests.ofKind(render(t -> t), "ServiceMonitor")).isEmpty();
    JsonNode monitor = Manifests.only(
        render(t -> t.set("metrics.serviceMonitor.enabled", true)), "ServiceMonitor");
    assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo("metrics");
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
  }

  @Test
  void imageAndResourcesComeFromValues() {
    JsonNode container = Manifests.container(Manifests.only(render(t -> t
        .set("image.repository", "registry.example/metasrv").set("image.tag", "1.2.3")
        .set("resources.limits.memory", "1Gi")), "Deployment"));
    assertThat(container.path("image").asText()).isEqualTo("registry.example/metasrv:1.2.3");
    assertThat(container.at("/resources/limits/memory").asText()).isEqualTo("1Gi");
  }

  private static List<JsonNode> render(UnaryOperator<TemplateCommand> values) {
    TemplateCommand template = new Helm(Manifests.CHART).template()
        .withName(RELEASE).withNamespace(NAMESPACE)
        // helm template assumes Kubernetes 1.20 without a cluster; the chart asks for 1.25+.
        .withKubeVersion(KUBE_VERSION);
    return Manifests.parse(values.apply(template).call());
  }

  private static List<String> fileNames(Path dir) {
    return Manifests.yamlFiles(dir).stream().map(p -> p.getFileName().toString()).toList();
  }
}
