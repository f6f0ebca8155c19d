package io.metasrv.procedure;

/** The manager refused a request about procedures; {@link #kind()} says why. */
public class ProcedureException extends Exception {

  /** Why the manager refused. */
  public enum Kind {
    /** This node's manager is not running (not the leader, or stepping down). */
    MANAGER_NOT_STARTED,
    /** The manager is paused: it runs the procedures it has but takes no new ones. */
    PAUSED,
    /** A procedure with this id is already known. */
    DUPLICATE,
    /** {@code max_running_procedures} are running. */
    TOO_MANY_RUNNING,
    /** No procedure with this id is known (never submitted here, or forgotten after 10 min). */
    NOT_FOUND
  }

  private final Kind kind;

  public ProcedureException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
