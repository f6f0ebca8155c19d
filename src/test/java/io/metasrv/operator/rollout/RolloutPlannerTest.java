package io.metasrv.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.metasrv.operator.rollout.RolloutPlan.Replacement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RolloutPlannerTest {
  private static final String OLD = "demo-old";
  private static final String NEW = "demo-new";

  @Test
  void followersGoFromTheHighestOrdinalDownAndTheLeaderLast() {
    List<Pod> pods = new ArrayList<>(List.of(pod(0, OLD, true), pod(1, OLD, true), pod(2, OLD, true)));
    Optional<String> leader = Optional.of("demo-1");
    List<String> replaced = new ArrayList<>();
    for (int step = 0; step < 3; step++) {
      RolloutPlan plan = RolloutPlanner.plan(sts(3, 2, 2), pods, leader);
      Replacement next = plan.replace().orElseThrow();
      assertThat(next.revision()).isEqualTo(NEW);
      assertThat(next.leader()).isEqualTo(next.pod().equals("demo-1"));
      assertThat(plan.progress().orElseThrow())
          .startsWith("rolling out revision " + NEW + ": " + step + "/3 pods updated")
          .endsWith("replacing " + (next.leader() ? "leader" : "follower") + " pod " + next.pod());
      replaced.add(next.pod());
      int ordinal = Integer.parseInt(next.pod().substring("demo-".length()));
      pods.set(ordinal, pod(ordinal, NEW, true));
    }
    assertThat(replaced).containsExactly("demo-2", "demo-0", "demo-1");
    assertThat(RolloutPlanner.plan(sts(3, 2, 2), pods, Optional.of("demo-2")))
        .isEqualTo(RolloutPlan.NONE);
  }

  @Test
  void nothingIsDeletedUntilThePreviousReplacementIsReady() {
    List<Pod> pods = List.of(pod(0, OLD, true), pod(1, OLD, true), pod(2, NEW, false));
    RolloutPlan plan = RolloutPlanner.plan(sts(3, 2, 2), pods, Optional.of("demo-0"));
    assertThat(plan.replace()).isEmpty();
    assertThat(plan.progress()).hasValue(
        "rolling out revision " + NEW + ": 1/3 pods updated; waiting for pod demo-2 to be Ready");
  }

  @Test
  void nothingIsDeletedWhileAPodIsMissingOrTerminating() {
    List<Pod> missing = List.of(pod(0, OLD, true), pod(1, OLD, true));
    assertThat(RolloutPlanner.plan(sts(3, 2, 2), missing, Optional.of("demo-0")).replace()).isEmpty();
    assertThat(RolloutPlanner.plan(sts(3, 2, 2), missing, Optional.of("demo-0")).progress())
        .hasValueSatisfying(p -> assertThat(p).endsWith("waiting for pod demo-2 to be created"));

    Pod terminating = new PodBuilder(pod(2, OLD, true)).editMetadata()
        .withDeletionTimestamp("2026-01-02T03:04:05Z").endMetadata().build();
    RolloutPlan plan = RolloutPlanner.plan(
        sts(3, 2, 2), List.of(pod(0, OLD, true), pod(1, OLD, true), terminating), Optional.of("demo-0"));
    assertThat(plan.replace()).isEmpty();
    assertThat(plan.progress())
        .hasValueSatisfying(p -> assertThat(p).endsWith("waiting for pod demo-2 to terminate"));
  }

  @Test
  void anOutdatedPodThatServesNothingGoesBeforeTheServingFollowers() {
    List<Pod> pods = List.of(pod(0, OLD, true), pod(1, OLD, false), pod(2, OLD, true));
    assertThat(RolloutPlanner.plan(sts(3, 2, 2), pods, Optional.of("demo-0")).replace())
        .hasValue(new Replacement("demo-1", NEW, false));
  }

  @Test
  void aBrokenReplacementIsReplacedAgainByTheNextRevision() {
    // Revision "demo-new" broke demo-2; the fix is revision "demo-fixed".
    List<Pod> pods = List.of(pod(0, OLD, true), pod(1, OLD, true), pod(2, NEW, false));
    StatefulSet fixed = new StatefulSetBuilder(sts(3, 3, 3).orElseThrow())
        .editStatus().withUpdateRevision("demo-fixed").endStatus().build();
    assertThat(RolloutPlanner.plan(Optional.of(fixed), pods, Optional.of("demo-0")).replace())
        .hasValue(new Replacement("demo-2", "demo-fixed", false));
  }

  @Test
  void withoutALeaderNoPodIsHeldBack() {
    List<Pod> pods = List.of(pod(0, OLD, true), pod(1, OLD, true));
    assertThat(RolloutPlanner.plan(sts(2, 2, 2), pods, Optional.empty()).replace())
        .hasValue(new Replacement("demo-1", NEW, false));
  }

  @Test
  void aStatefulSetControllerBehindTheSpecIsWaitedFor() {
    List<Pod> pods = List.of(pod(0, OLD, true), pod(1, OLD, true), pod(2, OLD, true));
    RolloutPlan plan = RolloutPlanner.plan(sts(3, 3, 2), pods, Optional.of("demo-0"));
    assertThat(plan.replace()).isEmpty();
    assertThat(plan.progress()).hasValue(
        "rolling out: the StatefulSet controller has not yet seen generation 3");
    assertThat(RolloutPlanner.plan(Optional.empty(), pods, Optional.empty()))
        .isEqualTo(RolloutPlan.NONE);
  }

  @Test
  void podsBeyondTheReplicasAreTheStatefulSetControllersToRemove() {
    List<Pod> pods = List.of(pod(0, NEW, true), pod(1, NEW, true), pod(2, OLD, true));
    assertThat(RolloutPlanner.plan(sts(2, 2, 2), pods, Optional.of("demo-2")))
        .isEqualTo(RolloutPlan.NONE);
  }

  private static Optional<StatefulSet> sts(int replicas, long generation, long observed) {
    return Optional.of(new StatefulSetBuilder()
        .withNewMetadata().withName("demo").withGeneration(generation).endMetadata()
        .withNewSpec().withReplicas(replicas).endSpec()
        .withNewStatus()
        .withObservedGeneration(observed)
        .withCurrentRevision(OLD)
        .withUpdateRevision(NEW)
        .endStatus()
        .build());
  }

  private static Pod pod(int ordinal, String revision, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("demo-" + ordinal)
        .addToLabels(RolloutPlanner.REVISION_LABEL, revision)
        .endMetadata()
        .withNewStatus()
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus()
        .build();
  }
}
