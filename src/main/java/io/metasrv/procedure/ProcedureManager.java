package io.metasrv.procedure;

import io.metasrv.config.ProcedureOptions;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KvBackend;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs procedures on the leader and keeps their state in the store, GreptimeDB's {@code
 * LocalManager} (reference §1).
 *
 * <p>Lifecycle: {@link #start()} when this node becomes leader recovers every unfinished root
 * procedure from the store and runs it again from its newest step; {@link #stop()} when it steps
 * down stops every procedure where it is, without writing or deleting anything, for the next
 * leader to resume. A manager can be started and stopped any number of times; procedures of an
 * earlier term never write again, even when the same node leads again (GreptimeDB's runners
 * would). New submissions wait while {@link #start()} is recovering, so recovered procedures get
 * their locks first.
 *
 * <p>Each procedure runs on a thread of its own ({@code metasrv-procedure-N}), waits for its
 * locks ({@link LockTable}), then executes until done; a retryable failure is retried after
 * {@link RetryBackoff}'s delays plus up to a quarter of noise, any other failure stores a
 * rollback record, rolls back when the procedure supports it, and fails. A finished procedure's
 * keys are deleted; it stays in memory, for {@link #state}, {@link #whenFinished} and {@link
 * #list}, for 10 minutes by the manager's clock (GreptimeDB forgets after 10 to 20).
 *
 * <p>Writes go through the store given, the leader's fenced store: a write refused with {@code
 * FencedException} (also one thrown out of a procedure step) stops that procedure as {@link
 * #stop()} would.
 *
 * <p>Metrics: {@code metasrv.procedure.running} (gauge) and {@code
 * metasrv.procedure.finished{type,state}} (procedures this node finished, Done or Failed; those
 * left to the next leader are not counted).
 */
public final class ProcedureManager implements AutoCloseable {
  /** How long a finished procedure stays known ({@code META_TTL}). */
  public static final Duration FINISHED_TTL = Duration.ofMinutes(10);
  private static final Logger log = LoggerFactory.getLogger(ProcedureManager.class);

  /** Waits between attempts; replaceable so that tests need not wait. */
  @FunctionalInterface
  public interface Sleeper {
    /** Waits {@code delay}, or less if {@code wakeUp} completes first (the manager stopped). */
    void sleep(Duration delay, Future<?> wakeUp) throws InterruptedException;
  }

  /** The real clock's waits. */
  private static final Sleeper REAL_SLEEPER = (delay, wakeUp) -> {
    try {
      wakeUp.get(delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // waited the whole delay (a wake-up signal never fails)
    }
  };

  /** One leadership: from {@link #start()} to {@link #stop()}. */
  static final class Term {
    final long number;
    /** Completed by {@link #stop()}; wakes runners that wait. */
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    /** Completed once recovered procedures are submitted, or the term ended. */
    final CompletableFuture<Void> recovered = new CompletableFuture<>();

    Term(long number) {
      this.number = number;
    }
  }

  final ProcedureStore store;
  final ProcedureOptions options;
  final Clock clock;
  final Sleeper sleeper;
  final LockTable locks = new LockTable();
  private final MeterRegistry registry;
  private final Map<String, ProcedureLoader> loaders = new ConcurrentHashMap<>();
  private final Map<ProcedureId, ProcedureMeta> procedures = new ConcurrentHashMap<>();
  /**
   * Finished procedures in the order they finished, oldest first: {@link #forgetExpired} takes
   * the expired ones off the front instead of walking every procedure finished in the last 10
   * minutes (thousands under a stream of DDL) on each submit.
   */
  private final Queue<ProcedureMeta> finishedInOrder = new ConcurrentLinkedQueue<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicInteger threads = new AtomicInteger();
  private final ExecutorService runners = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "metasrv-procedure-" + threads.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private volatile Term term; // null while stopped; written under this
  private volatile boolean paused;
  private long terms; // guarded by this

  private ProcedureManager(Builder builder) {
    this.options = builder.options;
    this.store = new ProcedureStore(builder.writes.orElseGet(() -> new GroupCommit(builder.kv)),
        options.maxMetadataValueSize().bytes());
    this.clock = builder.clock;
    this.sleeper = builder.sleeper;
    this.registry = builder.registry;
    Gauge.builder("metasrv.procedure.running", running, AtomicInteger::get)
        .description("Procedures running on this node (not finished, not stopped)")
        .register(registry);
  }

  /**
   * @param kv the store procedure state is written to: the leader's fenced store
   * @param options {@code [procedure]}
   */
  public static Builder builder(KvBackend kv, ProcedureOptions options) {
    return new Builder(kv, options);
  }

  /** Builds a {@link ProcedureManager}. */
  public static final class Builder {
    private final KvBackend kv;
    private final ProcedureOptions options;
    private Clock clock = Clock.systemUTC();
    private MeterRegistry registry = new SimpleMeterRegistry();
    private Sleeper sleeper = REAL_SLEEPER;
    private Optional<GroupCommit> writes = Optional.empty();

    private Builder(KvBackend kv, ProcedureOptions options) {
      this.kv = kv;
      this.options = options;
    }

    /** The clock of start and end times and of forgetting finished procedures. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** How runners wait between attempts (tests: a sleeper that records and returns). */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    /**
     * The group commit records are written through, shared with the node's other writers (DDL
     * metadata) so that their writes of the same moment share transactions; by default one of
     * the manager's own.
     *
     * @throws IllegalArgumentException when it writes to another store than the builder's
     */
    public Builder groupCommit(GroupCommit writes) {
      if (writes.kv() != kv) {
        throw new IllegalArgumentException("the group commit writes to another store");
      }
      this.writes = Optional.of(writes);
      return this;
    }

    public ProcedureManager build() {
      return new ProcedureManager(this);
    }
  }

  /**
   * Registers how to load procedures of {@code typeName} on recovery.
   *
   * @throws IllegalStateException when a loader is registered for it already
   */
  public void registerLoader(String typeName, ProcedureLoader loader) {
    if (loaders.putIfAbsent(typeName, loader) != null) {
      throw new IllegalStateException("Loader " + typeName + " is already registered");
    }
  }

  /**
   * Starts running procedures (this node became leader) and recovers the unfinished ones from
   * the store: those whose newest record is a rollback record first (they roll back), then those
   * whose newest record is a step (they resume from it); committed ones have their keys deleted.
   * Only root procedures are resumed. A record that cannot be read, has no registered loader or
   * whose data the loader refuses is logged and skipped, its keys kept. Recovered procedures
   * were admitted before: neither {@code max_running_procedures} nor {@link #pause()} refuses
   * them (GreptimeDB applies the limit and drops the ones above it with a log line). Does nothing
   * when already started.
   *
   * @throws io.metasrv.kv.KvException when the store cannot be scanned; the manager is then
   *     stopped again and may be started later (GreptimeDB would go on accepting procedures with
   *     nothing recovered)
   */
  public void start() {
    Term started;
    synchronized (this) {
      if (term != null) {
        return;
      }
      started = new Term(++terms);
      term = started;
    }
    long began = System.nanoTime();
    log.info("Procedure manager starts (term {}), recovering procedures", started.number);
    ProcedureStore.Scan scan;
    try {
      scan = store.scan();
    } catch (RuntimeException e) {
      log.error("Procedure manager cannot read procedures from the store; it stays stopped", e);
      end(started);
      throw e;
    }
    scan.unknownKeys().forEach(key ->
        log.warn("Unknown key while loading procedures, key: {}", key));
    scan.corrupt().forEach(record ->
        log.error("Skipping procedure record {}: {}; its keys are kept", record.key(),
            record.reason()));
    List<Recovered> rollingBack = new ArrayList<>();
    List<Recovered> resumed = new ArrayList<>();
    List<ProcedureId> committed = new ArrayList<>();
    for (ProcedureStore.StoredRecord record : scan.newest()) {
      switch (record.type()) {
        case COMMIT -> committed.add(record.id());
        case ROLLBACK -> load(record).ifPresent(rollingBack::add);
        case STEP -> load(record).ifPresent(resumed::add);
      }
    }
    synchronized (this) {
      if (term != started) {
        return; // stopped meanwhile
      }
      rollingBack.forEach(this::resubmit);
      resumed.forEach(this::resubmit);
      started.recovered.complete(null);
    }
    for (ProcedureId id : committed) {
      try {
        store.delete(id);
      } catch (RuntimeException e) {
        log.error("Failed to delete committed procedure {}", id, e);
      }
    }
    log.info("Procedure manager started (term {}): {} procedures rolling back, {} resumed, {}"
            + " committed ones cleaned, {} records skipped, in {} ms", started.number,
        rollingBack.size(), resumed.size(), committed.size(), scan.corrupt().size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
  }

  /** A stored procedure loaded for recovery. */
  private record Recovered(ProcedureStore.StoredRecord record, Procedure procedure) {}

  private Optional<Recovered> load(ProcedureStore.StoredRecord record) {
    ProcedureMessage message = record.message().orElseThrow();
    if (message.parentId().isPresent()) {
      log.info("Procedure {} is a subprocedure of {}; its root resubmits it", record.id(),
          message.parentId().get());
      return Optional.empty();
    }
    ProcedureLoader loader = loaders.get(message.typeName());
    if (loader == null) {
      log.error("Loader not found, procedure_id: {}, type_name: {}; skipping it, its keys are"
          + " kept", record.id(), message.typeName());
      return Optional.empty();
    }
    Procedure procedure;
    try {
      procedure = loader.load(message.data());
    } catch (Exception e) {
      log.error("Failed to load procedure data, procedure_id: {}, key: {}; skipping it, its keys"
          + " are kept", record.id(), record.key(), e);
      return Optional.empty();
    }
    try {
      procedure.recover();
    } catch (Exception e) {
      log.error("Failed to recover procedure {}; running it anyway", record.id(), e);
    }
    return Optional.of(new Recovered(record, procedure));
  }

  /** Runs a recovered procedure from its newest record; called under this in {@link #start}. */
  private void resubmit(Recovered recovered) {
    ProcedureStore.StoredRecord record = recovered.record();
    ProcedureMeta previous = procedures.get(record.id());
    if (previous != null && !previous.state().finished()) {
      log.error("Failed to recover procedure {}: Procedure {} already exists", record.id(),
          record.id());
      return;
    }
    ProcedureState initial = record.type() == ProcedureStore.RecordType.ROLLBACK
        ? ProcedureState.rollingBack(ProcedureErrors.rollbackRecovered(
            record.message().orElseThrow().error().orElse("Unknown error")))
        : ProcedureState.running();
    log.info("Recover root procedure {}-{}, step: {}, state: {}",
        recovered.procedure().typeName(), record.id(), record.step(), initial.kind());
    launch(record.id(), recovered.procedure(), initial, record.step(), true, previous);
  }

  /** Leader step-down: stops every procedure where it is, leaving its keys to the next leader. */
  public void stop() {
    Term current = term;
    if (current != null) {
      int left = end(current);
      log.info("Procedure manager stopped (term {}); {} procedures left to the next leader",
          current.number, left);
    }
  }

  /**
   * Ends a term, if it is still the current one: its unfinished procedures fail here with
   * ManagerNotStart and write nothing more. Returns how many were unfinished.
   */
  private synchronized int end(Term ended) {
    if (term != ended) {
      return 0;
    }
    term = null;
    ended.stopped.complete(null);
    ended.recovered.complete(null);
    int left = 0;
    for (ProcedureMeta meta : procedures.values()) {
      if (meta.term == ended && abandon(meta, ProcedureErrors.managerStopped())) {
        left++;
      }
    }
    return left;
  }

  /** Submits a procedure under a new random id. */
  public ProcedureId submit(Procedure procedure) throws ProcedureException {
    return submit(ProcedureId.random(), procedure);
  }

  /**
   * Submits a procedure; it runs once it has its locks. The id must be new to the store too (no
   * record under it): the runner writes and deletes the keys of a new procedure knowing it wrote
   * every one of them.
   *
   * @throws ProcedureException MANAGER_NOT_STARTED when this node is not running procedures,
   *     DUPLICATE when the id is known, PAUSED when the manager is paused, TOO_MANY_RUNNING at
   *     {@code max_running_procedures}
   */
  public ProcedureId submit(ProcedureId id, Procedure procedure) throws ProcedureException {
    while (true) {
      Term current = term;
      if (current == null) {
        throw notStarted();
      }
      current.recovered.join();
      forgetExpired();
      synchronized (this) {
        if (term != current) {
          continue;
        }
        if (procedures.containsKey(id)) {
          throw new ProcedureException(ProcedureException.Kind.DUPLICATE,
              "Procedure " + id + " already exists");
        }
        if (paused) {
          throw new ProcedureException(ProcedureException.Kind.PAUSED,
              "Procedure manager is paused: it takes no new procedures until resumed");
        }
        if (running.get() >= options.maxRunningProcedures()) {
          throw new ProcedureException(ProcedureException.Kind.TOO_MANY_RUNNING,
              "Too many running procedures, max: " + options.maxRunningProcedures());
        }
        launch(id, procedure, ProcedureState.running(), 0, false, null);
      }
      log.info("Submitted procedure {}-{}", procedure.typeName(), id);
      return id;
    }
  }

  /**
   * Registers and starts a runner; called under this.
   *
   * @param recovered whether the procedure was read back from the store (else it is new: no key
   *     under its id exists yet)
   */
  private void launch(ProcedureId id, Procedure procedure, ProcedureState initial, long step,
      boolean recovered, ProcedureMeta previous) {
    ProcedureMeta meta = new ProcedureMeta(id, procedure.typeName(), procedure.lockKeys(), term,
        sequence.incrementAndGet(), initial);
    procedures.put(id, meta);
    running.incrementAndGet();
    LockTable.Request request = locks.request(meta.lockKeys);
    try {
      runners.execute(new ProcedureRunner(this, meta, procedure, step, recovered, request,
          previous == null ? CompletableFuture.completedFuture(null) : previous.runnerExited));
    } catch (RejectedExecutionException e) {
      locks.release(request);
      abandon(meta, ProcedureErrors.managerStopped());
      meta.runnerExited.complete(null);
    }
  }

  /** The state of a procedure known to this node (running, or finished in the last 10 min). */
  public Optional<ProcedureState> state(ProcedureId id) {
    forgetExpired();
    return Optional.ofNullable(procedures.get(id)).map(ProcedureMeta::state);
  }

  /**
   * Completes with the procedure's Done or Failed state: when it finished here (its keys deleted
   * and its locks released), or at once with Failed when this node stopped running it.
   * Fails with a NOT_FOUND {@link ProcedureException} for an unknown id.
   */
  public CompletableFuture<ProcedureState> whenFinished(ProcedureId id) {
    forgetExpired();
    ProcedureMeta meta = procedures.get(id);
    if (meta == null) {
      return CompletableFuture.failedFuture(notFound(id));
    }
    return meta.finished.copy();
  }

  /** The procedures running, and those finished in the last 10 minutes, in submission order. */
  public List<ProcedureInfo> list() {
    forgetExpired();
    return procedures.values().stream()
        .sorted(Comparator.comparingLong(meta -> meta.sequence))
        .map(ProcedureMeta::info)
        .toList();
  }

  /** Refuses new submissions; running procedures go on, and recovery still resumes them. */
  public void pause() {
    paused = true;
    log.info("Procedure manager paused");
  }

  public void resume() {
    paused = false;
    log.info("Procedure manager resumed");
  }

  public boolean isPaused() {
    return paused;
  }

  /** Procedures submitted or recovered here and not finished or stopped. */
  public int runningCount() {
    return running.get();
  }

  /** Stops (see {@link #stop()}) and interrupts the runner threads. */
  @Override
  public void close() {
    stop();
    runners.shutdownNow();
  }

  // ---- for runners

  boolean isCurrent(Term runnerTerm) {
    return term == runnerTerm;
  }

  /** Moves a procedure to a state that is not finished. */
  void moveTo(ProcedureMeta meta, ProcedureState state) {
    meta.moveTo(state, clock.millis());
  }

  /** Finishes a procedure as its runner decided (Done or Failed). */
  void finish(ProcedureMeta meta, ProcedureState state) {
    if (meta.moveTo(state, clock.millis())) {
      finished(meta);
      Counter.builder("metasrv.procedure.finished")
          .description("Procedures this node finished")
          .tags("type", meta.typeName, "state", state.kind().name())
          .register(registry)
          .increment();
      if (state.kind() == ProcedureStateKind.Done) {
        log.info("Procedure {}-{} done", meta.typeName, meta.id);
      } else {
        log.error("Procedure {}-{} failed: {}", meta.typeName, meta.id,
            state.error().orElse(""));
      }
    }
  }

  /**
   * Ends a procedure that this node stops running (stop, fencing); it stays unfinished in the
   * store. Returns whether it was still running.
   */
  boolean abandon(ProcedureMeta meta, String error) {
    boolean wasRunning = meta.moveTo(ProcedureState.failed(error), clock.millis());
    if (wasRunning) {
      finished(meta);
    }
    meta.completeIfFinished();
    return wasRunning;
  }

  /** A procedure that just finished: no longer running, and forgotten in 10 minutes. */
  private void finished(ProcedureMeta meta) {
    running.decrementAndGet();
    finishedInOrder.add(meta);
  }

  private void forgetExpired() {
    long cutoff = clock.millis() - FINISHED_TTL.toMillis();
    for (ProcedureMeta oldest = finishedInOrder.peek();
        oldest != null && oldest.finishedBy(cutoff); oldest = finishedInOrder.peek()) {
      if (finishedInOrder.remove(oldest)) {
        // a recovered procedure runs under its id again with a new meta, which stays
        procedures.remove(oldest.id, oldest);
      }
    }
  }

  private static ProcedureException notStarted() {
    return new ProcedureException(ProcedureException.Kind.MANAGER_NOT_STARTED,
        ProcedureErrors.managerStopped());
  }

  private static ProcedureException notFound(ProcedureId id) {
    return new ProcedureException(ProcedureException.Kind.NOT_FOUND,
        "Procedure not found, procedure_id: " + id);
  }
}
