package io.metasrv.election;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * What passes between an election's campaign thread and everyone else: wake-ups, the request
 * to close, a pending resign, and the {@link LeaderChange} events for the listener. An election
 * that campaigns and holds leadership on one thread of its own ({@code metasrv-election}) keeps
 * one of these.
 *
 * <p>The concurrency contract:
 *
 * <ul>
 *   <li>Only the campaign thread calls {@link #awaitWakeUp}, {@link #resignRequested}, {@link
 *       #answerResign} and {@link #publish}; any thread may call {@link #wake}, {@link
 *       #requestClose}, {@link #closing} and {@link #resign}.
 *   <li>A wake-up is never lost: one that comes while the campaign thread is not waiting ends
 *       its next {@link #awaitWakeUp} at once. Wake-ups do not count: many before one wait end
 *       that wait only.
 *   <li>A resign stays pending, and {@link #resignRequested} true, until the campaign thread
 *       {@link #answerResign answers} it; callers that come meanwhile join the same request.
 *       The answer releases them at once when called from the listener (which must not wait
 *       for its own events), and otherwise once every event published before the answer has
 *       been delivered.
 *   <li>Events reach the listener in the order they were published, one at a time, on one
 *       thread ({@code metasrv-election-events}), so a slow listener never delays the campaign
 *       thread; a listener that throws is logged, and the next event is still delivered.
 * </ul>
 */
public final class CampaignSignals {
  private final Logger log;
  private final LongSupplier nanoTime;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wakeUp = lock.newCondition();
  private boolean woken; // guarded by lock
  private ResignRequest pendingResign; // guarded by lock
  private volatile boolean closing;

  // set once by start()
  private volatile String addr;
  private Consumer<LeaderChange> listener;
  private ExecutorService events;
  private volatile Thread eventThread;

  /**
   * @param log the election's logger, which reports a failing listener and a slow resign
   * @param nanoTime the monotonic clock that {@link #awaitWakeUp} deadlines are read on
   */
  public CampaignSignals(Logger log, LongSupplier nanoTime) {
    this.log = log;
    this.nanoTime = nanoTime;
  }

  /**
   * Prepares the events thread for {@code listener}; call once, before the campaign thread
   * starts.
   *
   * @param addr this node's {@code server_addr}, for the log
   */
  public void start(String addr, Consumer<LeaderChange> listener) {
    this.addr = addr;
    this.listener = listener;
    this.events = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "metasrv-election-events");
      thread.setDaemon(true);
      eventThread = thread;
      return thread;
    });
  }

  /**
   * Stops the events thread once the events published so far are delivered, waiting up to
   * {@code bound} for that unless called from the listener itself.
   */
  public void stopEvents(Duration bound) {
    events.shutdown();
    if (Thread.currentThread() != eventThread) {
      try {
        if (!events.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("leader change listener still busy after {}: addr={}", bound, addr);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Asks the campaign thread to resign, then waits up to {@code bound} for the answer: for
   * the {@link LeaderChange.StepDown} to be delivered, or, called from the listener, for
   * leadership to be released. Returns at once when {@code leading} is false and no resign is
   * pending; {@code leading} is read with the lock held.
   *
   * @throws IllegalStateException when the resign failed
   */
  public void resign(BooleanSupplier leading, Duration bound) {
    ResignRequest request;
    lock.lock();
    try {
      if (!leading.getAsBoolean() && pendingResign == null) {
        return;
      }
      if (pendingResign == null) {
        pendingResign = new ResignRequest();
      }
      request = pendingResign;
      woken = true;
      wakeUp.signalAll();
    } finally {
      lock.unlock();
    }
    boolean fromListener = Thread.currentThread() == eventThread;
    CompletableFuture<Void> done = fromListener ? request.released : request.delivered;
    try {
      done.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("resign did not complete within {}: addr={}", bound, addr);
    } catch (ExecutionException e) {
      throw new IllegalStateException("resign failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether a resign waits for {@link #answerResign}. */
  public boolean resignRequested() {
    lock.lock();
    try {
      return pendingResign != null;
    } finally {
      lock.unlock();
    }
  }

  /** Answers a pending resign: released now, delivered once the events queued so far are. */
  public void answerResign() {
    ResignRequest request;
    lock.lock();
    try {
      request = pendingResign;
      pendingResign = null;
    } finally {
      lock.unlock();
    }
    if (request != null) {
      request.released.complete(null);
      events.execute(() -> request.delivered.complete(null));
    }
  }

  /** Queues {@code change} for the listener, after every event published before it. */
  public void publish(LeaderChange change) {
    events.execute(() -> {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        log.error("leader change listener failed on {}: addr={}", change, addr, e);
      }
    });
  }

  /** Ends the campaign thread's current or next {@link #awaitWakeUp}. */
  public void wake() {
    lock.lock();
    try {
      woken = true;
      wakeUp.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** From now on {@link #closing()} is true; wakes the campaign thread to see it. */
  public void requestClose() {
    closing = true;
    wake();
  }

  /** Whether the election is closing: {@link #requestClose} was called, or a wait interrupted. */
  public boolean closing() {
    return closing;
  }

  /**
   * Waits until {@code deadline} (on the {@code nanoTime} clock), until {@code done} (checked
   * with the lock held, whenever the thread wakes), or for a {@link #wake}, which it consumes.
   * An interrupt ends the wait and counts as a request to close: nothing interrupts the
   * campaign thread but a shutdown.
   */
  public void awaitWakeUp(long deadline, BooleanSupplier done) {
    lock.lock();
    try {
      while (!woken && !done.getAsBoolean()) {
        long left = deadline - nanoTime.getAsLong();
        if (left <= 0) {
          break;
        }
        wakeUp.awaitNanos(left);
      }
      woken = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true; // nothing interrupts this thread but a shutdown
    } finally {
      lock.unlock();
    }
  }

  /** The callers waiting in {@link #resign}. */
  private static final class ResignRequest {
    final CompletableFuture<Void> released = new CompletableFuture<>();
    final CompletableFuture<Void> delivered = new CompletableFuture<>();
  }
}
