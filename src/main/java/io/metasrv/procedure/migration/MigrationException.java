package io.metasrv.procedure.migration;

/**
 * A region migration cannot go on and must not be retried (GreptimeDB's non-retryable errors:
 * the route is gone or unexpected, the target has no stream, another procedure opens the region,
 * the migration was aborted). The procedure framework rolls the migration back.
 */
public final class MigrationException extends Exception {
  public MigrationException(String message) {
    super(message);
  }

  public MigrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
