package io.metasrv.operator.rollout;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.metasrv.operator.rollout.RolloutPlan.Replacement;
import io.metasrv.operator.status.ClusterEvents;

/**
 * Carries out a rollout's step: deletes the pod with its grace period, so that metasrv gets
 * SIGTERM (a leader resigns at once) and the StatefulSet controller makes the pod again on the
 * update revision; announces it on the cluster.
 */
public final class PodReplacement {
  private PodReplacement() {}

  public static void replace(KubernetesClient client, HasMetadata cluster, Replacement replacement) {
    String namespace = cluster.getMetadata().getNamespace();
    client.pods().inNamespace(namespace).withName(replacement.pod()).delete();
    ClusterEvents.normal(
        client,
        cluster,
        "ReplacingPod",
        (replacement.leader() ? "leader pod " : "follower pod ") + replacement.pod()
            + (replacement.leader() ? ", last," : "") + " deleted to roll it to revision "
            + replacement.revision());
  }
}
