package io.metasrv.procedure;

import java.util.concurrent.CompletableFuture;

/**
 * What the manager knows of one procedure in memory: its state, times and waiters. Shared by
 * the runner, which moves the state, and by {@code stop()}, which ends it; the first to set a
 * finished state wins and later changes are ignored.
 */
final class ProcedureMeta {
  final ProcedureId id;
  final String typeName;
  final LockKeys lockKeys;
  /** The leadership term the procedure runs in. */
  final ProcedureManager.Term term;
  /** Submission order, for listing. */
  final long sequence;
  /** Completed with the finished state once the runner is done with the store and the locks. */
  final CompletableFuture<ProcedureState> finished = new CompletableFuture<>();
  /** Completed when the runner thread has exited (or never started). */
  final CompletableFuture<Void> runnerExited = new CompletableFuture<>();

  private ProcedureState state; // guarded by this
  private long startTimeMs; // guarded by this
  private long endTimeMs; // guarded by this

  ProcedureMeta(ProcedureId id, String typeName, LockKeys lockKeys, ProcedureManager.Term term,
      long sequence, ProcedureState initial) {
    this.id = id;
    this.typeName = typeName;
    this.lockKeys = lockKeys;
    this.term = term;
    this.sequence = sequence;
    this.state = initial;
  }

  synchronized ProcedureState state() {
    return state;
  }

  /**
   * Moves to {@code next} unless already finished.
   *
   * @return whether this call finished the procedure
   */
  synchronized boolean moveTo(ProcedureState next, long nowMs) {
    if (state.finished()) {
      return false;
    }
    state = next;
    if (next.finished()) {
      endTimeMs = nowMs;
      return true;
    }
    return false;
  }

  synchronized void started(long nowMs) {
    startTimeMs = nowMs;
  }

  /** Finished at or before {@code cutoffMs}. */
  synchronized boolean finishedBy(long cutoffMs) {
    return state.finished() && endTimeMs <= cutoffMs;
  }

  /** Completes {@link #finished} when the state is finished. */
  void completeIfFinished() {
    ProcedureState now = state();
    if (now.finished()) {
      finished.complete(now);
    }
  }

  synchronized ProcedureInfo info() {
    return new ProcedureInfo(id, typeName, startTimeMs, endTimeMs, state,
        lockKeys.debugStrings());
  }
}
