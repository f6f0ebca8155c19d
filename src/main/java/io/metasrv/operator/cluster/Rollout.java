package io.metasrv.operator.cluster;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether the StatefulSet controller is still moving the pods to the current pod template. Pods
 * that answer /health on the old revision are not yet the cluster the spec asks for, so a cluster
 * is not Ready while this is in progress.
 *
 * @param message what the rollout waits for; empty when none is in progress
 */
public record Rollout(Optional<String> message) {
  /** No rollout known: done, or no StatefulSet controller has reported yet (none in the mock). */
  static final Rollout NONE = new Rollout(Optional.empty());

  static Rollout of(Optional<StatefulSet> statefulSet) {
    if (statefulSet.isEmpty()
        || statefulSet.get().getStatus() == null
        || statefulSet.get().getStatus().getObservedGeneration() == null) {
      return NONE;
    }
    StatefulSet sts = statefulSet.get();
    StatefulSetStatus status = sts.getStatus();
    Long generation = sts.getMetadata().getGeneration();
    if (generation != null && status.getObservedGeneration() < generation) {
      return inProgress("the StatefulSet controller has not yet seen generation " + generation);
    }
    int wanted = sts.getSpec().getReplicas() != null ? sts.getSpec().getReplicas() : 1;
    // Zero counts are omitted from the status.
    int updated = status.getUpdatedReplicas() != null ? status.getUpdatedReplicas() : 0;
    boolean revisionDone =
        status.getUpdateRevision() == null
            || Objects.equals(status.getUpdateRevision(), status.getCurrentRevision());
    if (!revisionDone || updated < wanted) {
      return inProgress(
          updated + " of " + wanted + " pods on revision "
              + Optional.ofNullable(status.getUpdateRevision()).orElse("(unknown)"));
    }
    return NONE;
  }

  private static Rollout inProgress(String message) {
    return new Rollout(Optional.of("rolling out: " + message));
  }

  public boolean inProgress() {
    return message.isPresent();
  }
}
