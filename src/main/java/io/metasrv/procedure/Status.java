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
   */
  record Done(Optional<String> output) implements Status {}

  static Status executing(boolean persist) {
    return new Executing(persist);
  }

  static Status done() {
    return new Done(Optional.empty());
  }

  static Status done(String output) {
    return new Done(Optional.of(output));
  }
}
