package io.metasrv.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationService;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.config.dependent.DependentResourceSpec;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfig;
import io.metasrv.operator.admin.HttpPodAdminApi;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.metasrv.operator.cluster.MetasrvClusterReconciler;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code --server-side-apply}: the mock API server has no server-side apply, so the operator tests
 * run with it off and the SSA path never runs there. This holds what the flag configures, as
 * JOSDK decides it from the operator as built (the same question JOSDK's dependents ask before
 * each create, update and match): which owned objects are applied and matched with SSA, which are
 * updated whole, and how the status is written. Nothing is started; no API server is contacted.
 */
class ServerSideApplyConfigurationTest {
  @Test
  void withTheFlagOwnedObjectsAreServerSideAppliedExceptTheConfigMap() {
    Configured on = configured(true);

    assertThat(on.ssaByDependent())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "service-account", true,
                "election-role", true,
                "election-role-binding", true,
                "peer-service", true,
                "client-service", true,
                "pods", true,
                "disruption-budget", true,
                // JOSDK leaves ConfigMaps (and Secrets) out of SSA unless a dependent asks for it
                // (ConfigurationService.defaultNonSSAResources): the ConfigMap is updated whole.
                "config", false));
    assertThat(on.statusWithSsa()).isTrue();
  }

  @Test
  void withoutTheFlagEverythingIsUpdatedWholeAndMatchedByContent() {
    Configured off = configured(false);

    assertThat(off.ssaByDependent()).hasSize(8).doesNotContainValue(true);
    assertThat(off.statusWithSsa()).isFalse();
  }

  /** What JOSDK will do for each dependent (by workflow name) and for the primary's status. */
  private record Configured(Map<String, Boolean> ssaByDependent, boolean statusWithSsa) {}

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static Configured configured(boolean serverSideApply) {
    // Registration reads the configuration only; this address is never connected to.
    try (KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1").build())
            .build()) {
      Operator operator =
          MetasrvOperator.create(
              client,
              new OperatorSettings(Set.of(), serverSideApply, Duration.ofSeconds(10)),
              new HttpPodAdminApi(),
              PodAdminAddresses.podIp(),
              Clock.systemUTC(),
              Metrics.NOOP,
              Optional.empty());
      ControllerConfiguration<?> controller =
          operator
              .getRegisteredController(MetasrvClusterReconciler.NAME)
              .orElseThrow()
              .getConfiguration();
      ConfigurationService service = controller.getConfigurationService();
      Map<String, Boolean> ssa = new TreeMap<>();
      for (DependentResourceSpec spec :
          controller.getWorkflowSpec().orElseThrow().getDependentResourceSpecs()) {
        KubernetesDependentResourceConfig<?> config =
            (KubernetesDependentResourceConfig<?>)
                ((ControllerConfiguration) controller).getConfigurationFor(spec);
        Class<? extends HasMetadata> type = config.informerConfig().getResourceClass();
        ssa.put(
            spec.getName(),
            service.shouldUseSSA(
                (Class<? extends KubernetesDependentResource>) spec.getDependentResourceClass(),
                type,
                config));
      }
      return new Configured(ssa, service.useSSAToPatchPrimaryResource());
    }
  }
}
