package io.metasrv.operator.maintenance;

/**
 * Maintenance could not be set on the cluster's leader right now; {@link #reason()} becomes the
 * condition's reason, so it is one CamelCase word.
 */
final class MaintenanceNotApplied extends Exception {
  private final String reason;

  MaintenanceNotApplied(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
