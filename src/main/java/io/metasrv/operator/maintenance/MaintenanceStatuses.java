package io.metasrv.operator.maintenance;

import io.fabric8.kubernetes.api.model.Condition;
import io.metasrv.operator.api.v1alpha1.MaintenanceMode;
import io.metasrv.operator.api.v1alpha1.MaintenanceModeStatus;
import io.metasrv.operator.status.Conditions;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** The status a MaintenanceMode should have: one condition, Applied. */
final class MaintenanceStatuses {
  static final String APPLIED = "Applied";

  private MaintenanceStatuses() {}

  static MaintenanceModeStatus applied(MaintenanceMode mode, LeaderEndpoint leader, Clock clock) {
    return withApplied(
        mode,
        Conditions.of(
            APPLIED, true, "Enabled", "maintenance is on at leader " + leader.pod(), generation(mode)),
        clock);
  }

  static MaintenanceModeStatus notApplied(
      MaintenanceMode mode, MaintenanceNotApplied why, Clock clock) {
    return withApplied(
        mode, Conditions.of(APPLIED, false, why.reason(), why.getMessage(), generation(mode)), clock);
  }

  static Optional<Condition> appliedCondition(MaintenanceModeStatus status) {
    return status == null
        ? Optional.empty()
        : status.conditions.stream().filter(c -> APPLIED.equals(c.getType())).findFirst();
  }

  private static MaintenanceModeStatus withApplied(
      MaintenanceMode mode, Condition applied, Clock clock) {
    MaintenanceModeStatus current = mode.getStatus();
    MaintenanceModeStatus status = new MaintenanceModeStatus();
    status.observedGeneration = generation(mode);
    status.conditions =
        Conditions.merge(current != null ? current.conditions : null, List.of(applied), clock);
    return status;
  }

  private static long generation(MaintenanceMode mode) {
    Long generation = mode.getMetadata().getGeneration();
    return generation != null ? generation : 0L;
  }
}
