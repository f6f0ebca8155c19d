package io.metasrv.procedure;

/**
 * A durable state machine run by the {@link ProcedureManager}: GreptimeDB's {@code Procedure}.
 *
 * <p>The manager calls {@link #execute} again and again until it returns {@link Status.Done}.
 * After a call that returns {@code Executing(persist = true)} the manager stores {@link #dump()}
 * as the procedure's next step; after a leader change the new leader loads the newest stored
 * step with the {@link ProcedureLoader} registered for {@link #typeName()} and executes from
 * there. So every state must be safe to execute again from its beginning (idempotent), and the
 * first state is never stored: a procedure lost before its first persisted step is gone.
 *
 * <p>Calls for one procedure never overlap: they run one after another on one thread.
 */
public interface Procedure {

  /**
   * The type name stored with each step and used to find the loader on recovery, e.g. {@code
   * metasrv-procedure::RegionMigration}.
   */
  String typeName();

  /**
   * Runs the current state and moves to the next.
   *
   * @throws RetryLaterException to run the same state again after a backoff delay (retries are
   *     bounded by {@code max_retry_times})
   * @throws Exception any other failure ends the procedure: the manager stores a rollback record,
   *     then calls {@link #rollback} when {@link #rollbackSupported()}, and the procedure fails
   */
  Status execute(ProcedureContext context) throws Exception;

  /** The procedure's data as text (JSON), stored as {@code ProcedureMessage.data}. */
  String dump() throws Exception;

  /** The locks the procedure holds from before its first {@link #execute} until it finishes. */
  LockKeys lockKeys();

  /** Whether {@link #rollback} undoes a failed procedure. */
  default boolean rollbackSupported() {
    return false;
  }

  /**
   * Undoes the effects of a failed procedure; called again after a backoff while it throws, and
   * again after a leader change, so it must be idempotent too.
   */
  default void rollback(ProcedureContext context) throws Exception {
    throw new UnsupportedOperationException("rollback not supported");
  }

  /** Called on a procedure loaded after a leader change, before it is run again. */
  default void recover() throws Exception {}
}
