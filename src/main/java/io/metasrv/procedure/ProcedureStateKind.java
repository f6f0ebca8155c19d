package io.metasrv.procedure;

/**
 * The states of a procedure, named as GreptimeDB's {@code ProcedureState} (and its
 * {@code as_str_name}); {@link #protoNumber()} is the {@code greptime.v1.meta.ProcedureStatus}
 * value.
 */
public enum ProcedureStateKind {
  /** Executing, or waiting for its locks. */
  Running(0),
  /** Finished; terminal. */
  Done(1),
  /** Waiting to run the same state again after a retryable error. */
  Retrying(2),
  /** Failed; about to store the rollback record. */
  PrepareRollback(4),
  /** Undoing its effects. */
  RollingBack(5),
  /** Failed (after rolling back, when it could); terminal. */
  Failed(3);

  private final int protoNumber;

  ProcedureStateKind(int protoNumber) {
    this.protoNumber = protoNumber;
  }

  /** The {@code ProcedureStatus} number: Running 0, Done 1, Retrying 2, Failed 3, ... */
  public int protoNumber() {
    return protoNumber;
  }

  /** Done or Failed: the procedure will not run again in this manager. */
  public boolean finished() {
    return this == Done || this == Failed;
  }
}
