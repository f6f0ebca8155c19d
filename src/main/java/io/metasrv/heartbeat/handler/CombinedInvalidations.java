package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.instruction.CacheIdent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The cache invalidations that datanodes' address rewrites ask for, combined: the caller that
 * finds no broadcast under way broadcasts, and keeps broadcasting what other callers queued
 * meanwhile, up to {@link #MAX_CACHES_PER_BROADCAST} caches a message, until nothing is left;
 * the others queue their caches and return at once.
 *
 * <p>Every datanode's first heartbeat to a new leader rewrites its address and invalidates its
 * tables on every node. Broadcast one by one, N datanodes connecting together cost N broadcasts
 * to N streams each: at 1,000 datanodes a million pushes, every heartbeat thread busy pushing
 * and queued on the same streams' locks while no heartbeat was answered. Combined, a burst costs
 * a broadcast per batch. Only for fire-and-forget invalidations: a caller that returns may not
 * have been broadcast yet (a DDL that must know its invalidation was sent calls {@link
 * CacheInvalidator} itself).
 */
final class CombinedInvalidations {
  /** Keeps one message of a burst of 10,000 datanodes' tables at tens of kilobytes. */
  static final int MAX_CACHES_PER_BROADCAST = 1000;

  private final CacheInvalidator invalidator;
  private final Set<CacheIdent> queued = new LinkedHashSet<>(); // guarded by this
  private boolean broadcasting; // guarded by this

  CombinedInvalidations(CacheInvalidator invalidator) {
    this.invalidator = invalidator;
  }

  /**
   * Invalidates {@code caches} on every node: now, with whatever else is queued, or, when
   * another caller is broadcasting, in one of its next broadcasts.
   */
  void invalidate(List<CacheIdent> caches) {
    synchronized (this) {
      queued.addAll(caches);
      if (broadcasting) {
        return;
      }
      broadcasting = true;
    }
    List<CacheIdent> batch = nextBatch(caches.isEmpty());
    while (batch != null) {
      try {
        invalidator.invalidate(batch);
      } catch (RuntimeException e) {
        synchronized (this) {
          broadcasting = false; // what is still queued goes with the next caller's broadcast
        }
        throw e;
      }
      batch = nextBatch(false);
    }
  }

  /**
   * The next caches to broadcast, or null, ending this caller's turn, when there are none (the
   * first call of a caller that
   * asked for none still broadcasts: an empty invalidation is what GreptimeDB sends for a
   * datanode without tables).
   */
  private synchronized List<CacheIdent> nextBatch(boolean evenIfEmpty) {
    if (queued.isEmpty() && !evenIfEmpty) {
      broadcasting = false;
      return null;
    }
    List<CacheIdent> batch = new ArrayList<>(Math.min(queued.size(), MAX_CACHES_PER_BROADCAST));
    Iterator<CacheIdent> next = queued.iterator();
    while (next.hasNext() && batch.size() < MAX_CACHES_PER_BROADCAST) {
      batch.add(next.next());
      next.remove();
    }
    return batch;
  }
}
