package io.metasrv.procedure;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * In-memory read/write locks on lock key strings, GreptimeDB's {@code KeyRwLock}; nothing is
 * stored.
 *
 * <p>A procedure asks for all its keys at once, when it is submitted, and each key keeps a queue
 * of the requests for it in the order they were made. A request is granted when, on every one of
 * its keys, it is first in the queue (to write) or only readers are ahead of it (to read). So
 * conflicting procedures run in the order they were submitted, readers of a key share it, a
 * writer is not overtaken by later readers, and no two procedures can deadlock: a request only
 * ever waits for requests made before it. (GreptimeDB takes the keys one by one in
 * {@link LockKeys} order as the runner starts, which orders the waiting procedures by task
 * scheduling instead.)
 */
final class LockTable {
  /** The queue of requests for each key with one; guarded by this. */
  private final Map<String, Deque<Request>> queues = new HashMap<>();

  /** One procedure's locks. */
  final class Request {
    /** Key string to exclusive; a key asked for both ways is locked for writing. */
    private final Map<String, Boolean> modes = new LinkedHashMap<>();
    private final CompletableFuture<Void> granted = new CompletableFuture<>();

    private Request(LockKeys keys) {
      for (LockKey key : keys.keys()) {
        modes.merge(key.key(), key.exclusive(), Boolean::logicalOr);
      }
    }

    /** Completes when every key is locked. */
    CompletableFuture<Void> granted() {
      return granted;
    }
  }

  /** Queues a request for the keys; it may already be granted. */
  synchronized Request request(LockKeys keys) {
    Request request = new Request(keys);
    request.modes.keySet().forEach(key ->
        queues.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(request));
    grantIfReady(request);
    return request;
  }

  /** Releases the request's locks, granted or not, and grants the requests now ready. */
  synchronized void release(Request request) {
    Set<Request> waiting = new LinkedHashSet<>();
    for (String key : request.modes.keySet()) {
      Deque<Request> queue = queues.get(key);
      queue.remove(request);
      if (queue.isEmpty()) {
        queues.remove(key);
      } else {
        waiting.addAll(queue);
      }
    }
    waiting.forEach(this::grantIfReady);
  }

  /** The number of keys with a holder or a waiter, for tests. */
  synchronized int lockedKeys() {
    return queues.size();
  }

  private void grantIfReady(Request request) {
    if (request.granted.isDone()) {
      return;
    }
    for (Map.Entry<String, Boolean> mode : request.modes.entrySet()) {
      if (!grantable(mode.getKey(), request, mode.getValue())) {
        return;
      }
    }
    request.granted.complete(null);
  }

  /** Whether {@code request} may hold {@code key}: first in line, or behind readers only. */
  private boolean grantable(String key, Request request, boolean exclusive) {
    Deque<Request> queue = queues.get(key);
    if (exclusive) {
      return queue.peekFirst() == request;
    }
    for (Request ahead : queue) {
      if (ahead == request) {
        return true;
      }
      if (ahead.modes.get(key)) {
        return false;
      }
    }
    throw new IllegalStateException("a lock request is missing from the queue of " + key);
  }
}
