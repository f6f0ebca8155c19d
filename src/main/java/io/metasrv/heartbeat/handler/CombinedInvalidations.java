package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.instruction.CacheIdent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache invalidations that datanodes' address rewrites ask for, combined: at most one
 * broadcast every {@link #LINGER}. A caller that finds none in the last {@code LINGER}
 * broadcasts at once; callers that come sooner queue their caches and return at once, and what
 * they queued goes out together {@code LINGER} after the last broadcast, up to {@link
 * #MAX_CACHES_PER_BROADCAST} caches a message.
 *
 * <p>Every datanode's first heartbeat to a new leader rewrites its address and invalidates its
 * tables on every node. Broadcast one by one, N datanodes connecting together cost N broadcasts
 * to N streams each, every message compressed and written per stream: at 10,000 datanodes a
 * hundred million messages, seconds of CPU that delayed every heartbeat answer past the lease.
 * Combined, a burst costs a broadcast per {@code LINGER}. Only for fire-and-forget
 * invalidations (GreptimeDB does not wait for them either): a caller that returns may not have
 * been broadcast yet, by up to {@code LINGER} (a DDL that must know its invalidation was sent
 * calls {@link CacheInvalidator} itself).
 */
final class CombinedInvalidations {
  /** Keeps one message of a burst of 10,000 datanodes' tables at tens of kilobytes. */
  static final int MAX_CACHES_PER_BROADCAST = 1000;
  /** The least time between two broadcasts: a burst of 10,000 datanodes in 3 s makes 12. */
  static final Duration LINGER = Duration.ofMillis(250);

  private static final Logger log = LoggerFactory.getLogger(CombinedInvalidations.class);

  private final CacheInvalidator invalidator;
  private final Duration linger;
  private final LongSupplier nanoClock;
  private final Later later;
  private final Set<CacheIdent> queued = new LinkedHashSet<>(); // guarded by this
  /** Whether a caller asked for an empty invalidation since the last broadcast; guarded by this. */
  private boolean emptyAsked;
  private boolean broadcasting; // guarded by this
  private boolean flushScheduled; // guarded by this
  private long lastBroadcastNanos; // guarded by this; meaningful once broadcastOnce
  private boolean broadcastOnce; // guarded by this

  /** Runs a task once, {@code delayNanos} from now, on a thread of its own. */
  @FunctionalInterface
  interface Later {
    void run(Runnable task, long delayNanos);
  }

  CombinedInvalidations(CacheInvalidator invalidator) {
    this(invalidator, LINGER, System::nanoTime, flushThread());
  }

  /**
   * @param nanoClock the clock {@code linger} is measured on
   * @param later runs the broadcasts of queued caches
   */
  CombinedInvalidations(CacheInvalidator invalidator, Duration linger, LongSupplier nanoClock,
      Later later) {
    this.invalidator = invalidator;
    this.linger = linger;
    this.nanoClock = nanoClock;
    this.later = later;
  }

  /** A daemon thread that exists only while broadcasts are waiting. */
  private static Later flushThread() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
      Thread thread = new Thread(task, "metasrv-combined-invalidations");
      thread.setDaemon(true);
      return thread;
    });
    executor.setKeepAliveTime(1, TimeUnit.MINUTES);
    executor.allowCoreThreadTimeOut(true);
    return (task, delayNanos) -> executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Invalidates {@code caches} on every node: now, or with what others ask for by {@code LINGER}
   * after the last broadcast (an empty list still broadcasts: an empty invalidation is what
   * GreptimeDB sends for a datanode without tables).
   *
   * @throws RuntimeException when broadcasting at once failed (what others queued meanwhile
   *     stays queued)
   */
  void invalidate(List<CacheIdent> caches) {
    synchronized (this) {
      queued.addAll(caches);
      emptyAsked |= caches.isEmpty();
      if (broadcasting || flushScheduled) {
        return;
      }
      long sinceLast = nanoClock.getAsLong() - lastBroadcastNanos;
      if (broadcastOnce && sinceLast < linger.toNanos()) {
        scheduleFlush(linger.toNanos() - sinceLast);
        return;
      }
      broadcasting = true;
    }
    broadcastQueued();
  }

  private void scheduleFlush(long delayNanos) {
    flushScheduled = true;
    later.run(this::flush, delayNanos);
  }

  private void flush() {
    synchronized (this) {
      flushScheduled = false;
      if (broadcasting) {
        return; // the broadcaster schedules the next flush when it is done
      }
      broadcasting = true;
    }
    try {
      broadcastQueued();
    } catch (RuntimeException e) {
      log.warn("cannot invalidate the caches of datanodes' tables: {}", e.toString());
    }
  }

  /** Broadcasts everything queued, in bounded messages; schedules what comes meanwhile. */
  private void broadcastQueued() {
    List<CacheIdent> taken;
    synchronized (this) {
      taken = new ArrayList<>(queued);
      queued.clear();
      emptyAsked = false;
    }
    try {
      if (taken.isEmpty()) {
        invalidator.invalidate(taken);
      }
      for (int from = 0; from < taken.size(); from += MAX_CACHES_PER_BROADCAST) {
        invalidator.invalidate(
            taken.subList(from, Math.min(taken.size(), from + MAX_CACHES_PER_BROADCAST)));
      }
    } finally {
      synchronized (this) {
        broadcasting = false;
        broadcastOnce = true;
        lastBroadcastNanos = nanoClock.getAsLong();
        if ((!queued.isEmpty() || emptyAsked) && !flushScheduled) {
          scheduleFlush(linger.toNanos());
        }
      }
    }
  }
}
