package io.metasrv.procedure;

import java.util.Optional;

/** What one {@link Procedure#execute} call asks of the manager next. */
public sealed interface Status {

  /**
   * Execute again.
   *
   * @param persist store the procedure's {@link Procedure#dump()} as a new step first
   */
  record Executing(boolean persist) implements Status {}

  /**
   * The procedure finished.
   *
   * @param output an opaque result for whoever waits on the procedure (DDL: the table id)
   * @param recordsDeleted whether the last step deleted the procedure's records itself (see
   *     {@link ProcedureContext#recordDeletions}); else the manager writes the commit record and
   *     then deletes them
   */
  record Done(Optional<String> output, boolean recordsDeleted) implements Status {}

  static Status executing(boolean persist) {
    return new Executing(persist);
  }

  static Status done() {
    return new Done(Optional.empty(), false);
  }

  static Status done(String output) {
    return new Done(Optional.of(output), false);
  }

  /**
   * Finished, and the last step's transaction deleted the procedure's records (the operations
   * {@link ProcedureContext#recordDeletions} gave, all of them).
   */
  static Status doneWithRecordsDeleted(String output) {
    return new Done(Optional.of(output), true);
  }
}
