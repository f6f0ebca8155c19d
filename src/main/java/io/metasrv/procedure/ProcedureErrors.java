package io.metasrv.procedure;

/**
 * The error texts of procedure states and rollback records: GreptimeDB's Display text of the
 * top-level procedure error ({@code common_procedure::Error}), followed after ": " by what caused
 * it, which GreptimeDB leaves out of the text.
 */
final class ProcedureErrors {
  /** At most this many causes are described. */
  private static final int MAX_CAUSES = 8;

  private ProcedureErrors() {}

  /** A failure thrown by the procedure (GreptimeDB's {@code External}). */
  static String external(Throwable error) {
    return "Failed to execute procedure due to external error: " + describe(error);
  }

  /** A {@link RetryLaterException} (GreptimeDB's {@code RetryLater}). */
  static String retryLater(Throwable error) {
    return "Procedure exec failed: " + describe(error);
  }

  /** A store write that failed (GreptimeDB's {@code PutState}). */
  static String putState(String key, Throwable error) {
    return "Failed to put state, key: '" + key + "': " + describe(error);
  }

  static String retryTimesExceeded(ProcedureId id, String lastError) {
    return "Procedure retry exceeded max times, procedure_id: " + id + ": " + lastError;
  }

  static String rollbackTimesExceeded(ProcedureId id, String error) {
    return "Procedure rollback exceeded max times, procedure_id: " + id + ": " + error;
  }

  /** The state of a procedure recovered from its rollback record. */
  static String rollbackRecovered(String storedError) {
    return "Rollback Procedure recovered: " + storedError;
  }

  /** GreptimeDB's {@code ManagerNotStart}: the state of a procedure this node stopped running. */
  static String managerStopped() {
    return "Procedure Manager is stopped";
  }

  /** A procedure this node stopped running because a write found it fenced. */
  static String fenced(Throwable error) {
    return managerStopped() + ": " + describe(error);
  }

  /** A runner that failed unexpectedly (GreptimeDB's {@code ProcedurePanic}). */
  static String panic(ProcedureId id, Throwable error) {
    return "Procedure panics, procedure_id: " + id + ": " + describe(error);
  }

  /** The error's message, then each cause's that does not repeat what is already said. */
  static String describe(Throwable error) {
    StringBuilder text = new StringBuilder(message(error));
    Throwable cause = error.getCause();
    for (int i = 0; cause != null && i < MAX_CAUSES; i++, cause = cause.getCause()) {
      String message = message(cause);
      if (text.indexOf(message) < 0) {
        text.append(": ").append(message);
      }
    }
    return text.toString();
  }

  private static String message(Throwable error) {
    String message = error.getMessage();
    return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
  }
}
