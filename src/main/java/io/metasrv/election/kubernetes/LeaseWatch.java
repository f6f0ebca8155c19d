package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch of the election Lease that tells the election of every change as it happens, so that a
 * released or deleted Lease is taken over in about one round trip instead of at a follower's
 * next read.
 *
 * <p>It is a hint, never a source of truth: the election decides only from what it reads itself,
 * and still reads every retry period, so a watch that is down (API server unreachable, connection
 * dropped, history compacted, watch forbidden) costs speed, never correctness. fabric8 reconnects
 * a dropped connection by itself; a watch that could not be opened, or that fabric8 gave up on,
 * is opened again a retry period later on this class's own thread ({@code
 * metasrv-election-watch}). Events are delivered on fabric8's threads, in order.
 */
final class LeaseWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseWatch.class);

  private final LeaseCalls calls;
  private final String name;
  private final Duration retryPeriod;
  private final BiConsumer<Watcher.Action, Lease> onEvent;
  private final ScheduledThreadPoolExecutor opener;

  private Watch watch; // guarded by this
  private boolean closed; // guarded by this
  private int failures; // confined to the opener thread

  /**
   * @param onEvent told of every event, with the Lease as the event carries it (for a deletion,
   *     as it was last)
   */
  LeaseWatch(LeaseCalls calls, String name, Duration retryPeriod,
      BiConsumer<Watcher.Action, Lease> onEvent) {
    this.calls = calls;
    this.name = name;
    this.retryPeriod = retryPeriod;
    this.onEvent = onEvent;
    this.opener = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "metasrv-election-watch");
      thread.setDaemon(true);
      return thread;
    });
    opener.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  void start() {
    opener.execute(this::open);
  }

  private void open() {
    Watch opened;
    try {
      opened = calls.watch(name, new Watcher<>() {
        @Override
        public void eventReceived(Action action, Lease lease) {
          if (action == Action.ADDED || action == Action.MODIFIED || action == Action.DELETED) {
            onEvent.accept(action, lease);
          }
        }

        @Override
        public void onClose(WatcherException cause) {
          synchronized (LeaseWatch.this) {
            watch = null;
          }
          log.info("election Lease watch ended, opening it again in {}: namespace={} name={} "
              + "error={}", retryPeriod, calls.namespace(), name, cause.getMessage());
          openLater();
        }
      });
    } catch (KubernetesClientException e) {
      if (failures++ == 0) {
        log.warn("cannot watch the election Lease, retrying every {}; followers read it every "
            + "retry period meanwhile: namespace={} name={} error={}", retryPeriod,
            calls.namespace(), name, LeaseCalls.describe(e));
      }
      openLater();
      return;
    }
    synchronized (this) {
      if (closed) {
        opened.close();
        return;
      }
      watch = opened;
    }
    if (failures > 0) {
      log.info("watching the election Lease again after {} failed attempts: name={}", failures,
          name);
      failures = 0;
    }
  }

  /** Whether a watch is open (fabric8 may be reconnecting it); for tests. */
  synchronized boolean isOpen() {
    return watch != null;
  }

  private void openLater() {
    try {
      opener.schedule(this::open, retryPeriod.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  @Override
  public void close() {
    Watch open;
    synchronized (this) {
      closed = true;
      open = watch;
      watch = null;
    }
    opener.shutdownNow();
    if (open != null) {
      open.close();
    }
  }
}
