package io.metasrv.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * metav1.Condition lists with kstatus semantics: lastTransitionTime moves only when a condition's
 * status changes, so a reconciliation that finds nothing new writes nothing new.
 */
public final class Conditions {
  public static final String TRUE = "True";
  public static final String FALSE = "False";

  private Conditions() {}

  /**
   * The conditions to write: {@code wanted}, each keeping the lastTransitionTime of the current
   * condition of its type when the status is unchanged; types not wanted are dropped.
   */
  public static List<Condition> merge(List<Condition> current, List<Condition> wanted, Clock clock) {
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    List<Condition> merged = new ArrayList<>();
    for (Condition condition : wanted) {
      Condition previous =
          current == null
              ? null
              : current.stream()
                  .filter(c -> Objects.equals(c.getType(), condition.getType()))
                  .findFirst()
                  .orElse(null);
      boolean unchanged =
          previous != null && Objects.equals(previous.getStatus(), condition.getStatus());
      merged.add(
          new ConditionBuilder(condition)
              .withLastTransitionTime(unchanged ? previous.getLastTransitionTime() : now)
              .build());
    }
    return merged;
  }

  public static Condition of(
      String type, boolean status, String reason, String message, long generation) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status ? TRUE : FALSE)
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(generation)
        .build();
  }
}
