package io.metasrv.procedure;

import io.metasrv.fence.FencedException;
import io.metasrv.kv.TxnOp;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one procedure on its own thread, GreptimeDB's {@code Runner}: waits for the previous
 * runner of the same id (a recovered procedure) and for its locks, executes until the procedure
 * is finished, then deletes its keys, releases its locks and tells the waiters.
 *
 * <p>Step numbers: a new procedure starts at 0, a recovered one at its newest record's step (its
 * next write overwrites that record). Each persisted step writes {@code {step}.step}, Done writes
 * {@code {step}.commit} and entering rollback writes {@code {step}.rollback}; each successful
 * write increments the step. A last step that deleted the records in its own transaction
 * ({@link Status#doneWithRecordsDeleted}) leaves neither a commit record nor a deletion to do.
 *
 * <p>For a new procedure the runner knows every key under its id (it wrote them all), so a write
 * needs no look for segments an earlier write left and the deletion is one transaction; a
 * recovered procedure's writes and deletion read the store first (see {@link
 * ProcedureStore.Writer}).
 *
 * <p>Before every store write and every state change the runner checks that its term is still
 * current (the manager was not stopped) and that no write found this node fenced; when either
 * fails it exits without touching the store.
 */
final class ProcedureRunner implements Runnable, ProcedureContext {
  private static final Logger log = LoggerFactory.getLogger(ProcedureRunner.class);

  private final ProcedureManager manager;
  private final ProcedureMeta meta;
  private final Procedure procedure;
  private final LockTable.Request locks;
  private final CompletableFuture<Void> previousRunnerExited;
  private final ProcedureStore.Writer records;
  private long step;
  /** Set when the last step deleted the procedure's records in its own transaction. */
  private boolean recordsDeleted;
  /** Set when this runner stops on its own: fenced, or its thread interrupted. */
  private volatile boolean halted;

  /** @param recovered whether the procedure was read back from the store, not submitted here */
  ProcedureRunner(ProcedureManager manager, ProcedureMeta meta, Procedure procedure, long step,
      boolean recovered, LockTable.Request locks, CompletableFuture<Void> previousRunnerExited) {
    this.manager = manager;
    this.meta = meta;
    this.procedure = procedure;
    this.step = step;
    this.locks = locks;
    this.previousRunnerExited = previousRunnerExited;
    this.records = manager.store.writer(meta.id, !recovered);
  }

  @Override
  public ProcedureId procedureId() {
    return meta.id;
  }

  @Override
  public boolean stopping() {
    return !current();
  }

  @Override
  public Optional<List<TxnOp>> recordDeletions() {
    return records.deletions();
  }

  private boolean current() {
    return !halted && manager.isCurrent(meta.term);
  }

  @Override
  public void run() {
    log.info("Runner {}-{} starts at step {}", meta.typeName, meta.id, step);
    try {
      if (!await(previousRunnerExited) || !await(locks.granted())) {
        return;
      }
      meta.started(manager.clock.millis());
      executeUntilFinished();
      if (current() && meta.state().finished() && !recordsDeleted) {
        deleteRecords();
      }
    } catch (Throwable unexpected) {
      log.error("Procedure {}-{} exits unexpectedly", meta.typeName, meta.id, unexpected);
      manager.finish(meta, ProcedureState.failed(ProcedureErrors.panic(meta.id, unexpected)));
    } finally {
      manager.locks.release(locks);
      meta.runnerExited.complete(null);
      meta.completeIfFinished();
      log.info("Runner {}-{} exits in state {}", meta.typeName, meta.id, meta.state().kind());
    }
  }

  private void executeUntilFinished() {
    RetryBackoff retries = newBackoff();
    RetryBackoff rollbacks = newBackoff();
    int retryTimes = 0;
    int rollbackTimes = 0;
    while (current()) {
      ProcedureState state = meta.state();
      switch (state.kind()) {
        case Running -> { }
        case Retrying -> {
          retryTimes++;
          Optional<Duration> delay = retries.next();
          if (delay.isPresent()) {
            if (!sleep(withNoise(delay.get()), retryTimes)) {
              return;
            }
          } else {
            manager.moveTo(meta, ProcedureState.prepareRollback(
                ProcedureErrors.retryTimesExceeded(meta.id, state.error().orElseThrow())));
          }
        }
        case PrepareRollback, RollingBack -> {
          rollbackTimes++;
          Optional<Duration> delay = rollbacks.next();
          if (delay.isEmpty()) {
            manager.finish(meta, ProcedureState.failed(ProcedureErrors.rollbackTimesExceeded(
                meta.id, state.error().orElseThrow())));
            return;
          }
          if (!sleep(delay.get(), rollbackTimes)) {
            return;
          }
        }
        case Done, Failed -> {
          return;
        }
      }
      executeOnce();
    }
  }

  private void executeOnce() {
    ProcedureState state = meta.state();
    switch (state.kind()) {
      case Running, Retrying -> executeStep();
      case PrepareRollback -> prepareRollback(state.error().orElseThrow());
      case RollingBack -> rollback(state.error().orElseThrow());
      case Done, Failed -> { }
    }
  }

  private void executeStep() {
    Status status;
    try {
      status = procedure.execute(this);
    } catch (Exception e) {
      if (!current() || stopsRunner(e)) {
        return;
      }
      if (e instanceof RetryLaterException) {
        log.warn("Failed to execute procedure {}-{}, retry later: {}", meta.typeName, meta.id,
            ProcedureErrors.describe(e));
        manager.moveTo(meta, ProcedureState.retrying(ProcedureErrors.retryLater(e)));
      } else {
        log.error("Failed to execute procedure {}-{}", meta.typeName, meta.id, e);
        manager.moveTo(meta, ProcedureState.prepareRollback(ProcedureErrors.external(e)));
      }
      return;
    }
    if (!current()) {
      return;
    }
    if (status instanceof Status.Executing executing) {
      if (executing.persist()) {
        String key = ProcedureStore.key(meta.id, step, ProcedureStore.RecordType.STEP);
        Optional<String> failure = write(key, () -> records.putStep(step,
            ProcedureMessage.step(procedure.typeName(), procedure.dump(), step)));
        if (failure.isPresent()) {
          retryAfterWriteFailure(failure.get());
          return;
        }
      }
      if (meta.state().kind() != ProcedureStateKind.Running) {
        manager.moveTo(meta, ProcedureState.running());
      }
    } else if (status instanceof Status.Done done) {
      if (done.recordsDeleted()) {
        recordsDeleted = true;
        manager.finish(meta, ProcedureState.done(done.output()));
        return;
      }
      String key = ProcedureStore.key(meta.id, step, ProcedureStore.RecordType.COMMIT);
      Optional<String> failure = write(key, () -> records.putCommit(step));
      if (failure.isPresent()) {
        retryAfterWriteFailure(failure.get());
        return;
      }
      manager.finish(meta, ProcedureState.done(done.output()));
    }
  }

  private void retryAfterWriteFailure(String error) {
    if (current()) {
      manager.moveTo(meta, ProcedureState.retrying(error));
    }
  }

  /**
   * Stores the rollback record, then rolls back or fails. When the write fails the state stays
   * PrepareRollback with the original error, to be tried again (GreptimeDB replaces the error
   * with the write's).
   */
  private void prepareRollback(String error) {
    String key = ProcedureStore.key(meta.id, step, ProcedureStore.RecordType.ROLLBACK);
    Optional<String> failure = write(key, () -> records.putRollback(step,
        ProcedureMessage.rollback(procedure.typeName(), procedure.dump(), step, error)));
    if (failure.isPresent() || !current()) {
      return;
    }
    if (procedure.rollbackSupported()) {
      manager.moveTo(meta, ProcedureState.rollingBack(error));
    } else {
      manager.finish(meta, ProcedureState.failed(error));
    }
  }

  /**
   * Rolls back; on success the procedure fails with the error that caused the rollback. A
   * failed rollback is tried again, keeping that error (GreptimeDB keeps the rollback's own).
   */
  private void rollback(String error) {
    if (procedure.rollbackSupported()) {
      try {
        procedure.rollback(this);
      } catch (Exception e) {
        if (current() && !stopsRunner(e)) {
          log.error("Failed to roll back procedure {}-{}, will try again", meta.typeName, meta.id,
              e);
        }
        return;
      }
      if (!current()) {
        return;
      }
    }
    manager.finish(meta, ProcedureState.failed(error));
  }

  /** A write to the store that may fail. */
  @FunctionalInterface
  private interface StoreWrite {
    void run() throws Exception;
  }

  /**
   * Runs a write of the record at {@code key} and moves to the next step when it succeeds.
   *
   * @return empty on success, else the error text
   */
  private Optional<String> write(String key, StoreWrite write) {
    try {
      write.run();
      step++;
      return Optional.empty();
    } catch (Exception e) {
      if (!stopsRunner(e)) {
        log.error("Failed to write {} of procedure {}-{}", key, meta.typeName, meta.id, e);
      }
      return Optional.of(ProcedureErrors.putState(key, e));
    }
  }

  /**
   * Whether the failure means this node must stop running the procedure: a write found it
   * fenced, or the thread was interrupted (the manager is closing). The procedure is then left
   * to the next leader.
   */
  private boolean stopsRunner(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof FencedException) {
        log.warn("Procedure {}-{} stops: this node is fenced ({})", meta.typeName, meta.id,
            cause.getMessage());
        halt(ProcedureErrors.fenced(cause));
        return true;
      }
      if (cause instanceof InterruptedException) {
        interrupted();
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  /** The thread was interrupted (the manager is closing): stop as if the manager stopped. */
  private void interrupted() {
    Thread.currentThread().interrupt();
    halt(ProcedureErrors.managerStopped());
  }

  /** Stops running the procedure here, leaving its keys to the next leader. */
  private void halt(String error) {
    halted = true;
    manager.abandon(meta, error);
  }

  private void deleteRecords() {
    try {
      records.deleteAll();
    } catch (RuntimeException e) {
      if (!stopsRunner(e)) {
        log.error("Runner {}-{} failed to delete procedure {}", meta.typeName, meta.id, meta.id,
            e);
      }
    }
  }

  /** Waits for {@code future} or for the term to end; returns whether still current. */
  private boolean await(CompletableFuture<?> future) {
    try {
      CompletableFuture.anyOf(future, meta.term.stopped).get();
    } catch (InterruptedException e) {
      interrupted();
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("a lock grant or runner exit cannot fail", e);
    }
    return current();
  }

  /** Waits before an attempt; returns whether still current. */
  private boolean sleep(Duration delay, int attempt) {
    log.info("Procedure {}-{} retry for the {} times after {} millis", meta.typeName, meta.id,
        attempt, delay.toMillis());
    try {
      manager.sleeper.sleep(delay, meta.term.stopped);
    } catch (InterruptedException e) {
      interrupted();
      return false;
    }
    return current();
  }

  private RetryBackoff newBackoff() {
    return new RetryBackoff(manager.options.retryDelay(), manager.options.maxRetryTimes());
  }

  /** Adds uniform noise in [0, delay/4] (whole milliseconds), as GreptimeDB's runner. */
  private static Duration withNoise(Duration delay) {
    long millis = delay.toMillis();
    return delay.plusMillis(ThreadLocalRandom.current().nextLong(millis / 4 + 1));
  }
}
