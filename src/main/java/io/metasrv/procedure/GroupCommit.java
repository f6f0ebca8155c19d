package io.metasrv.procedure;

import io.metasrv.kv.KvBackend;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Record puts of concurrent runners, stored together: while one batch of puts is in flight, the
 * puts that arrive wait, and when it is done the first of them sends them all as the next
 * transaction (its own caller sends it, so no thread hands work to another and no caller sends
 * more than one batch). With nothing in flight a put is sent at once; a batch of one is a plain
 * put, as before.
 *
 * <p>Each caller returns once the batch holding its put is stored, or throws what the store
 * threw for it: every put of a batch is stored, or none is, as if each had been sent alone at
 * the same moment. Runners write different keys (each under its own procedure id, one write at
 * a time); a key already in the batch still ends it, as a store refuses a transaction that puts
 * a key twice. A batch holds at most {@code max_txn_ops} puts and {@link #MAX_BATCH_BYTES} of
 * values; a larger value goes alone.
 *
 * <p>GreptimeDB writes each record with its own put. CREATE TABLE from 16 clients on etcd
 * (bench/ddl): the leader's 3.1 writes per create (two records, the metadata transaction, a
 * tenth of an id range) become about 1.5, and each comes back sooner.
 */
final class GroupCommit {
  /** Keeps a batch well below etcd's default request limit (1.5 MiB). */
  static final long MAX_BATCH_BYTES = 512 * 1024;

  private final KvBackend kv;
  private final Object lock = new Object();
  private final Deque<Put> waiting = new ArrayDeque<>(); // guarded by lock
  private boolean sending; // guarded by lock

  GroupCommit(KvBackend kv) {
    this.kv = kv;
  }

  /** A put and what became of it. */
  private static final class Put {
    final byte[] key;
    final byte[] value;
    /**
     * Completed with true when another caller stored it, false when this caller is to send the
     * next batch (holding it), exceptionally when another caller's transaction holding it failed.
     */
    final CompletableFuture<Boolean> outcome = new CompletableFuture<>();

    Put(byte[] key, byte[] value) {
      this.key = key;
      this.value = value;
    }
  }

  /**
   * Stores {@code value} at {@code key}, in a transaction with the puts of other callers waiting
   * meanwhile.
   *
   * <p>Waits without reacting to interrupts: a caller whose turn it is to send must send, or the
   * callers behind it would wait forever; the store call itself may still fail on an interrupt.
   *
   * @throws RuntimeException what the store threw for the transaction holding it
   */
  void put(byte[] key, byte[] value) {
    Put mine = new Put(key, value);
    synchronized (lock) {
      waiting.addLast(mine);
      if (!sending) {
        sending = true;
        mine.outcome.complete(false);
      }
    }
    boolean stored;
    try {
      stored = mine.outcome.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw e;
    }
    if (!stored) {
      sendBatch();
    }
  }

  /**
   * Sends the waiting puts (this caller's first), tells the others in the batch how it went,
   * passes the turn to the next waiter, and throws what the store threw.
   */
  private void sendBatch() {
    List<Put> batch = new ArrayList<>();
    synchronized (lock) {
      long bytes = 0;
      Set<ByteBuffer> keys = new HashSet<>();
      while (!waiting.isEmpty() && batch.size() < kv.limits().maxTxnOps()) {
        Put next = waiting.peekFirst();
        ByteBuffer key = ByteBuffer.wrap(next.key);
        boolean fits = batch.isEmpty()
            || (bytes + next.value.length <= MAX_BATCH_BYTES && !keys.contains(key));
        if (!fits) {
          break;
        }
        keys.add(key);
        bytes += next.value.length;
        batch.add(waiting.pollFirst());
      }
    }
    try {
      if (batch.size() == 1) {
        kv.put(batch.get(0).key, batch.get(0).value);
      } else {
        List<TxnOp> puts = new ArrayList<>(batch.size());
        batch.forEach(put -> puts.add(TxnOp.put(put.key, put.value)));
        if (!kv.txn(Txn.of(puts)).succeeded()) {
          throw new IllegalStateException("a transaction of puts without compares failed");
        }
      }
      batch.forEach(put -> put.outcome.complete(true));
    } catch (RuntimeException | Error e) {
      // the sender's own outcome is complete already (it was its turn): it gets e thrown
      batch.forEach(put -> put.outcome.completeExceptionally(e));
      throw e;
    } finally {
      synchronized (lock) {
        Put next = waiting.peekFirst();
        if (next == null) {
          sending = false;
        } else {
          next.outcome.complete(false);
        }
      }
    }
  }
}
