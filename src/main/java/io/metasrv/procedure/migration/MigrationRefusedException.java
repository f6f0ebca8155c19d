package io.metasrv.procedure.migration;

/** A migration request that was refused before any procedure started, and why. */
public final class MigrationRefusedException extends Exception {

  /** GreptimeDB's error for each refusal; the transport maps it to a status code. */
  public enum Reason {
    /** {@code MigrationRunning} (StatusCode Unexpected). */
    MIGRATION_RUNNING,
    /** {@code InvalidArguments}: same peers, a peer that does not lead, no time budget. */
    INVALID_ARGUMENTS,
    /** {@code PeerUnavailable}: the datanode has no live lease. */
    PEER_UNAVAILABLE,
    /** {@code TableRouteNotFound}. */
    TABLE_ROUTE_NOT_FOUND,
    /** {@code RegionRouteNotFound}. */
    REGION_ROUTE_NOT_FOUND,
    /** {@code TableInfoNotFound}. */
    TABLE_INFO_NOT_FOUND,
    /** {@code Unexpected}: a logical table, a route that cannot be read. */
    UNEXPECTED
  }

  private final Reason reason;

  public MigrationRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
