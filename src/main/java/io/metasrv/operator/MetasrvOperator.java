package io.metasrv.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.metasrv.operator.admin.PodAdminApi;
import io.metasrv.operator.cluster.ClusterObserver;
import io.metasrv.operator.cluster.MetasrvClusterReconciler;
import io.metasrv.operator.maintenance.MaintenanceModeReconciler;
import java.time.Clock;
import java.util.Optional;

/** Builds the JOSDK operator with this project's controllers; the caller starts and stops it. */
public final class MetasrvOperator {
  private MetasrvOperator() {}

  public static Operator create(
      KubernetesClient client,
      OperatorSettings settings,
      PodAdminApi admin,
      PodAdminAddresses addresses,
      Clock clock,
      Metrics metrics,
      Optional<LeaderElectionConfiguration> leaderElection) {
    Operator operator =
        new Operator(
            overrider -> {
              overrider
                  .withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  .withMetrics(metrics)
                  .withUseSSAToPatchPrimaryResource(settings.serverSideApply())
                  .withSSABasedCreateUpdateMatchForDependentResources(settings.serverSideApply());
              leaderElection.ifPresent(overrider::withLeaderElectionConfiguration);
            });
    operator.register(
        new MetasrvClusterReconciler(
            new ClusterObserver(admin, addresses), settings.observeInterval(), clock),
        controller -> watch(controller, settings));
    operator.register(
        new MaintenanceModeReconciler(admin, addresses, settings.observeInterval(), clock),
        controller -> watch(controller, settings));
    return operator;
  }

  private static void watch(ControllerConfigurationOverrider<?> controller, OperatorSettings settings) {
    if (settings.namespaces().isEmpty()) {
      controller.watchingAllNamespaces();
    } else {
      controller.settingNamespaces(settings.namespaces());
    }
  }
}
