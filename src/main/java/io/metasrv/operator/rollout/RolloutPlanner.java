package io.metasrv.operator.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.metasrv.operator.rollout.RolloutPlan.Replacement;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides the next step of a rollout from what the API server shows now, so the operator keeps no
 * memory of it and a restarted operator carries on where the last one stopped.
 *
 * <p>A rollout is in progress while a pod of ordinal below the replicas is missing, terminating or
 * not on the StatefulSet's update revision. One pod is replaced at a time: nothing is deleted while
 * a pod is missing or terminating (its replacement is on its way) or while a pod on the update
 * revision is not Ready (the previous replacement has not come up; a configuration that breaks the
 * pods stops there, with one pod down). Then the outdated pods go in this order: those that are not
 * Ready (they serve nothing), then the Ready followers from the highest ordinal down, and the leader
 * last. The StatefulSet's {@code currentRevision} is not read: under {@code OnDelete} the
 * StatefulSet controller does not move it.
 *
 * <p>When no leader is known, no pod is held back as the leader: nothing then leads whose move a
 * different order could spare, and a configuration that keeps the cluster from electing must still
 * be replaceable.
 */
public final class RolloutPlanner {
  /** The label the StatefulSet controller puts on each pod: the revision it was made from. */
  public static final String REVISION_LABEL = "controller-revision-hash";

  private RolloutPlanner() {}

  /**
   * @param statefulSet the cluster's StatefulSet, as the informer has it
   * @param pods the cluster's pods
   * @param leaderPod the pod that leads, as observed on the pods' admin API
   */
  public static RolloutPlan plan(
      Optional<StatefulSet> statefulSet, Collection<Pod> pods, Optional<String> leaderPod) {
    if (statefulSet.isEmpty()
        || statefulSet.get().getStatus() == null
        || statefulSet.get().getStatus().getObservedGeneration() == null) {
      return RolloutPlan.NONE;
    }
    StatefulSet sts = statefulSet.get();
    StatefulSetStatus status = sts.getStatus();
    Long generation = sts.getMetadata().getGeneration();
    if (generation != null && status.getObservedGeneration() < generation) {
      return RolloutPlan.waiting(
          "rolling out: the StatefulSet controller has not yet seen generation " + generation);
    }
    String revision = status.getUpdateRevision();
    if (revision == null) {
      return RolloutPlan.NONE;
    }
    String name = sts.getMetadata().getName();
    int wanted = sts.getSpec().getReplicas() != null ? sts.getSpec().getReplicas() : 1;
    Map<Integer, Pod> byOrdinal = new HashMap<>();
    for (Pod pod : pods) {
      int ordinal = ordinal(name, pod.getMetadata().getName());
      if (ordinal >= 0 && ordinal < wanted) {
        byOrdinal.put(ordinal, pod);
      }
    }
    long updated =
        byOrdinal.values().stream().filter(pod -> onRevision(pod, revision) && !terminating(pod)).count();
    String prefix = "rolling out revision " + revision + ": " + updated + "/" + wanted + " pods updated";

    for (int ordinal = 0; ordinal < wanted; ordinal++) {
      Pod pod = byOrdinal.get(ordinal);
      if (pod == null) {
        return RolloutPlan.waiting(prefix + "; waiting for pod " + name + "-" + ordinal + " to be created");
      }
      if (terminating(pod)) {
        return RolloutPlan.waiting(
            prefix + "; waiting for pod " + pod.getMetadata().getName() + " to terminate");
      }
    }
    for (Pod pod : byOrdinal.values()) {
      if (onRevision(pod, revision) && !ready(pod)) {
        return RolloutPlan.waiting(
            prefix + "; waiting for pod " + pod.getMetadata().getName() + " to be Ready");
      }
    }
    List<Pod> outdated =
        byOrdinal.values().stream()
            .filter(pod -> !onRevision(pod, revision))
            .sorted(
                Comparator.comparing((Pod pod) -> isLeader(pod, leaderPod))
                    .thenComparing(RolloutPlanner::ready)
                    .thenComparing(pod -> -ordinal(name, pod.getMetadata().getName())))
            .toList();
    if (outdated.isEmpty()) {
      return RolloutPlan.NONE;
    }
    Pod next = outdated.get(0);
    boolean leader = isLeader(next, leaderPod);
    String podName = next.getMetadata().getName();
    return RolloutPlan.replacing(
        prefix + "; replacing " + (leader ? "leader" : "follower") + " pod " + podName,
        new Replacement(podName, revision, leader));
  }

  private static boolean isLeader(Pod pod, Optional<String> leaderPod) {
    return leaderPod.filter(pod.getMetadata().getName()::equals).isPresent();
  }

  private static boolean onRevision(Pod pod, String revision) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && revision.equals(labels.get(REVISION_LABEL));
  }

  private static boolean terminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  /** The pod's Ready condition, which the kubelet sets from the readiness probe. */
  static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static int ordinal(String statefulSet, String pod) {
    String prefix = statefulSet + "-";
    if (!pod.startsWith(prefix)) {
      return -1;
    }
    try {
      return Integer.parseInt(pod.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
