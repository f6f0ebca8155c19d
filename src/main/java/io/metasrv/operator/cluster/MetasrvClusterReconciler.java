package io.metasrv.operator.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterStatus;
import io.metasrv.operator.cluster.dependents.ClientServiceDependent;
import io.metasrv.operator.cluster.dependents.ConfigMapDependent;
import io.metasrv.operator.cluster.dependents.ElectionRoleBindingDependent;
import io.metasrv.operator.cluster.dependents.ElectionRoleDependent;
import io.metasrv.operator.cluster.dependents.PeerServiceDependent;
import io.metasrv.operator.cluster.dependents.PodDisruptionBudgetDependent;
import io.metasrv.operator.cluster.dependents.ServiceAccountDependent;
import io.metasrv.operator.cluster.dependents.StatefulSetDependent;
import io.metasrv.operator.cluster.dependents.UsesLeaseElection;
import io.metasrv.operator.model.ClusterNames;
import io.metasrv.operator.model.ValidCluster;
import io.metasrv.operator.rollout.PodReplacement;
import io.metasrv.operator.rollout.RolloutPlan;
import io.metasrv.operator.rollout.RolloutPlanner;
import io.metasrv.operator.status.ClusterEvents;
import io.metasrv.operator.status.Conditions;
import io.metasrv.operator.status.StatusWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Validate, then apply, then observe. An invalid spec is never applied: the cluster is marked
 * Stalled naming the field and nothing is retried until the spec (or the Secret it refers to)
 * changes. A valid one runs the dependents' workflow, asks the pods how they serve, and takes
 * the next step of a rollout ({@link RolloutPlanner}): the StatefulSet updates {@code OnDelete},
 * and the operator replaces the pods in its own order.
 */
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(name = "config", type = ConfigMapDependent.class),
      @Dependent(name = "service-account", type = ServiceAccountDependent.class),
      @Dependent(
          name = "election-role",
          type = ElectionRoleDependent.class,
          reconcilePrecondition = UsesLeaseElection.class),
      @Dependent(
          name = "election-role-binding",
          type = ElectionRoleBindingDependent.class,
          reconcilePrecondition = UsesLeaseElection.class),
      @Dependent(name = "peer-service", type = PeerServiceDependent.class),
      @Dependent(name = "client-service", type = ClientServiceDependent.class),
      @Dependent(
          name = "pods",
          type = StatefulSetDependent.class,
          dependsOn = {"config", "service-account", "peer-service"}),
      @Dependent(name = "disruption-budget", type = PodDisruptionBudgetDependent.class)
    })
@ControllerConfiguration(name = MetasrvClusterReconciler.NAME)
public class MetasrvClusterReconciler implements Reconciler<MetasrvCluster> {
  public static final String NAME = "metasrvcluster";

  private final ClusterObserver observer;
  private final Duration observeInterval;
  private final Clock clock;
  /** The leader last observed per cluster (by uid), of the clusters that still exist. */
  private final Map<String, String> lastLeaders = new ConcurrentHashMap<>();

  /**
   * @param observeInterval how often the pods are asked again: leadership changes without any
   *     Kubernetes event
   */
  public MetasrvClusterReconciler(ClusterObserver observer, Duration observeInterval, Clock clock) {
    this.observer = observer;
    this.observeInterval = observeInterval;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, MetasrvCluster>> prepareEventSources(
      EventSourceContext<MetasrvCluster> context) {
    // Pods belong to the StatefulSet, not to the cluster: map them back by their instance label.
    var pods =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Pod.class, MetasrvCluster.class)
                .withLabelSelector(ClusterNames.MANAGED_BY_LABEL + "=" + ClusterNames.MANAGED_BY)
                .withSecondaryToPrimaryMapper(
                    pod ->
                        Set.of(
                            new ResourceID(
                                pod.getMetadata().getLabels().get(ClusterNames.INSTANCE_LABEL),
                                pod.getMetadata().getNamespace())))
                .build(),
            context);
    return List.of(pods, ReferencedSecrets.eventSource(context));
  }

  @Override
  public UpdateControl<MetasrvCluster> reconcile(
      MetasrvCluster cluster, Context<MetasrvCluster> context) {
    ValidCluster valid;
    try {
      valid = validator(context).validate(cluster);
    } catch (InvalidSpecException invalid) {
      if (!isStalledOnThisGeneration(cluster)) {
        ClusterEvents.warning(context.getClient(), cluster, "InvalidSpec", invalid.getMessage());
      }
      // Nothing of the spec is applied, but the pods that run are still watched.
      ClusterObservation running =
          observer.observeAsRunning(cluster, context.getSecondaryResources(Pod.class));
      announceLeaderChange(cluster, running, context);
      StatusWriter.writeIfChanged(
          cluster, ClusterStatuses.stalled(cluster, invalid, running, clock), context);
      return UpdateControl.<MetasrvCluster>noUpdate().rescheduleAfter(observeInterval);
    }
    valid.putInto(context);
    context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();

    Set<Pod> pods = context.getSecondaryResources(Pod.class);
    ClusterObservation observation = observer.observe(valid, pods);
    announceLeaderChange(cluster, observation, context);
    RolloutPlan rollout =
        RolloutPlanner.plan(
            context.getSecondaryResource(StatefulSet.class), pods,
            observation.leader().map(leader -> leader.pod));
    rollout.replace()
        .ifPresent(next -> PodReplacement.replace(context.getClient(), cluster, next));
    StatusWriter.writeIfChanged(
        cluster, ClusterStatuses.observed(valid, observation, rollout, clock), context);
    return UpdateControl.<MetasrvCluster>noUpdate().rescheduleAfter(observeInterval);
  }

  private static ClusterSpecValidator validator(Context<MetasrvCluster> context) {
    return new ClusterSpecValidator(
        (namespace, name) -> ReferencedSecrets.lookup(context, namespace, name));
  }

  private static boolean isStalledOnThisGeneration(MetasrvCluster cluster) {
    MetasrvClusterStatus status = cluster.getStatus();
    return status != null
        && status.conditions.stream()
            .anyMatch(
                c ->
                    ClusterStatuses.STALLED.equals(c.getType())
                        && Conditions.TRUE.equals(c.getStatus())
                        && Objects.equals(c.getObservedGeneration(), cluster.getMetadata().getGeneration()));
  }

  /**
   * A LeaderChanged event when the observed leader is not the one last seen: the one this
   * operator last observed for the cluster, else (after a restart) the one in its status. An
   * observation can find no leader between two (the poll of the new leader came before it took
   * over, that of the old one after it stepped down), and the status then names none; the
   * leader seen before the gap still counts as the one before.
   */
  private void announceLeaderChange(
      MetasrvCluster cluster, ClusterObservation observation, Context<MetasrvCluster> context) {
    String key = cluster.getMetadata().getUid();
    String inStatus =
        cluster.getStatus() != null && cluster.getStatus().leader != null
            ? cluster.getStatus().leader.pod
            : null;
    String before = key == null ? inStatus : lastLeaders.getOrDefault(key, inStatus);
    String now = observation.leader().map(l -> l.pod).orElse(null);
    if (now == null) {
      return;
    }
    if (key != null) {
      lastLeaders.put(key, now);
      Set<String> clusters = context.getPrimaryCache().list()
          .map(c -> c.getMetadata().getUid()).collect(Collectors.toSet());
      lastLeaders.keySet().retainAll(clusters);
    }
    if (!now.equals(before)) {
      ClusterEvents.normal(
          context.getClient(), cluster, "LeaderChanged",
          "leader is now " + now + (before != null ? " (was " + before + ")" : ""));
    }
  }
}
