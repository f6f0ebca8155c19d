/**
 * Durable procedures: long-running leader work (region migration, DDL) written as state machines
 * whose state is stored after each persisted step, so that a new leader resumes them.
 *
 * <p>{@link io.metasrv.procedure.ProcedureManager} runs {@link io.metasrv.procedure.Procedure}s
 * with GreptimeDB's semantics (reference §1): records in GreptimeDB's key layout and {@code
 * ProcedureMessage} JSON ({@code ProcedureStore}, values split into segments above {@code
 * max_metadata_value_size}; records of concurrent procedures put together by {@link
 * io.metasrv.kv.GroupCommit}), in-memory read/write locks on GreptimeDB's lock keys ({@link
 * io.metasrv.procedure.LockKey}, {@code LockTable}), retries of {@link
 * io.metasrv.procedure.RetryLaterException} with exponential backoff, rollback, recovery of
 * unfinished procedures on leader start, and nothing written after step-down or fencing.
 */
package io.metasrv.procedure;
