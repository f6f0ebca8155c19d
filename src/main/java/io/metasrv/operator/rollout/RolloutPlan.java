package io.metasrv.operator.rollout;

import java.util.Optional;

/**
 * Where a rollout of the StatefulSet's pod template stands, and the pod to replace now, if any.
 * Pods that answer /health on the old revision are not yet the cluster the spec asks for, so a
 * cluster is not Ready while a rollout is in progress.
 *
 * @param progress what the rollout does or waits for, for the Reconciling condition; empty when
 *     none is in progress
 * @param replace the pod to delete now, so that the StatefulSet controller makes it again on the
 *     update revision
 */
public record RolloutPlan(Optional<String> progress, Optional<Replacement> replace) {
  /** No rollout known: done, or no StatefulSet controller has reported yet (none in the mock). */
  public static final RolloutPlan NONE = new RolloutPlan(Optional.empty(), Optional.empty());

  static RolloutPlan waiting(String progress) {
    return new RolloutPlan(Optional.of(progress), Optional.empty());
  }

  static RolloutPlan replacing(String progress, Replacement replacement) {
    return new RolloutPlan(Optional.of(progress), Optional.of(replacement));
  }

  public boolean inProgress() {
    return progress.isPresent();
  }

  /**
   * A pod to replace.
   *
   * @param leader whether it leads: the leader goes last, and resigns on SIGTERM
   */
  public record Replacement(String pod, String revision, boolean leader) {}
}
