package io.metasrv.procedure;

import java.util.Optional;

/**
 * A procedure's state as the manager reports it.
 *
 * @param error why it is retrying, rolling back or failed (GreptimeDB's error text, followed
 *     after ": " by its cause, which GreptimeDB leaves out); empty when Running or Done
 * @param output what a Done procedure returned, if anything
 */
public record ProcedureState(ProcedureStateKind kind, Optional<String> error,
    Optional<String> output) {

  public static ProcedureState running() {
    return new ProcedureState(ProcedureStateKind.Running, Optional.empty(), Optional.empty());
  }

  public static ProcedureState done(Optional<String> output) {
    return new ProcedureState(ProcedureStateKind.Done, Optional.empty(), output);
  }

  public static ProcedureState retrying(String error) {
    return withError(ProcedureStateKind.Retrying, error);
  }

  public static ProcedureState prepareRollback(String error) {
    return withError(ProcedureStateKind.PrepareRollback, error);
  }

  public static ProcedureState rollingBack(String error) {
    return withError(ProcedureStateKind.RollingBack, error);
  }

  public static ProcedureState failed(String error) {
    return withError(ProcedureStateKind.Failed, error);
  }

  private static ProcedureState withError(ProcedureStateKind kind, String error) {
    return new ProcedureState(kind, Optional.of(error), Optional.empty());
  }

  /** Done or Failed. */
  public boolean finished() {
    return kind.finished();
  }
}
