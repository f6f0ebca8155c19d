package io.metasrv.operator.cluster;

import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterStatus;
import io.metasrv.operator.model.ValidCluster;
import io.metasrv.operator.rollout.RolloutPlan;
import io.metasrv.operator.status.Conditions;
import java.time.Clock;
import java.util.List;

/** The status a cluster should have, from what validation and observation found. */
public final class ClusterStatuses {
  public static final String READY = "Ready";
  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";

  private ClusterStatuses() {}

  /** The spec cannot be applied: Stalled until it changes; the rest of the status is kept. */
  public static MetasrvClusterStatus stalled(
      MetasrvCluster cluster, InvalidSpecException invalid, ClusterObservation running,
      Clock clock) {
    long generation = cluster.getMetadata().getGeneration();
    MetasrvClusterStatus status = copyOf(cluster.getStatus());
    status.observedGeneration = generation;
    // The pods still run what was applied before: who leads them stays news, for MaintenanceModes
    // above all, which turn maintenance on at the leader this status names.
    reportPods(status, running);
    String message = "invalid spec: " + invalid.getMessage();
    status.conditions =
        Conditions.merge(
            status.conditions,
            List.of(
                Conditions.of(READY, false, "InvalidSpec", message, generation),
                Conditions.of(RECONCILING, false, "InvalidSpec", "waiting for a spec change", generation),
                Conditions.of(STALLED, true, "InvalidSpec", message, generation)),
            clock);
    return status;
  }

  /** What the pods said: how many there are and serve, who leads, whether maintenance is on. */
  private static void reportPods(MetasrvClusterStatus status, ClusterObservation observation) {
    status.replicas = observation.pods();
    status.readyReplicas = observation.servingPods();
    status.leader = observation.leader().orElse(null);
    status.maintenance = observation.maintenance().orElse(null);
  }

  /**
   * The spec was applied; readiness is what the pods report, once the StatefulSet runs the current
   * pod template on all of them.
   */
  public static MetasrvClusterStatus observed(
      ValidCluster cluster, ClusterObservation observation, RolloutPlan rollout, Clock clock) {
    MetasrvCluster resource = cluster.resource();
    long generation = resource.getMetadata().getGeneration();
    MetasrvClusterStatus status = new MetasrvClusterStatus();
    status.observedGeneration = generation;
    reportPods(status, observation);
    status.backend = cluster.store().kind().specName();
    status.selector = cluster.names().selector();

    boolean allServing =
        observation.pods() == cluster.replicas() && observation.servingPods() == cluster.replicas();
    String progress =
        observation.servingPods() + " of " + cluster.replicas() + " pods serving; "
            + observation.leader().map(l -> "leader " + l.pod).orElse("no leader");
    String notReady;
    if (rollout.inProgress()) {
      notReady = "RollingOut";
      progress = rollout.progress().get() + "; " + progress;
    } else if (!allServing) {
      notReady = "PodsNotReady";
    } else if (observation.leader().isEmpty()) {
      notReady = "NoLeader";
    } else {
      notReady = null;
    }
    boolean ready = notReady == null;
    status.conditions =
        Conditions.merge(
            resource.getStatus() != null ? resource.getStatus().conditions : null,
            List.of(
                ready
                    ? Conditions.of(READY, true, "LeaderElected", progress, generation)
                    : Conditions.of(READY, false, notReady, progress, generation),
                ready
                    ? Conditions.of(RECONCILING, false, "UpToDate", progress, generation)
                    : Conditions.of(RECONCILING, true, notReady, progress, generation),
                Conditions.of(STALLED, false, "SpecValid", "the spec is applied", generation)),
            clock);
    return status;
  }

  private static MetasrvClusterStatus copyOf(MetasrvClusterStatus status) {
    MetasrvClusterStatus copy = new MetasrvClusterStatus();
    if (status != null) {
      copy.conditions = status.conditions;
      copy.replicas = status.replicas;
      copy.readyReplicas = status.readyReplicas;
      copy.leader = status.leader;
      copy.maintenance = status.maintenance;
      copy.backend = status.backend;
      copy.selector = status.selector;
    }
    return copy;
  }
}
