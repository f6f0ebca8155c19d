package io.metasrv.kv;

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
 * Writes of concurrent callers, stored together: while one batch of writes is in flight, the
 * writes that arrive wait, and when it is done the first of them sends them all as the next
 * transaction (its own caller sends it, so no thread hands work to another and no caller sends
 * more than one batch). With nothing in flight a write is sent at once, as it is; a batch of one
 * put is a plain put.
 *
 * <p>A write is a put or a transaction. A batch of several is one transaction: the compares of
 * all its writes, then the success operations of all its writes, in their order. Each caller
 * gets what its write alone would have got at that moment:
 *
 * <ul>
 *   <li>when every compare of the batch held, every write's compares held and its operations
 *       ran: its caller gets the answers to its own operations, at the batch's revision;
 *   <li>when one did not hold, nothing was written, and each caller then sends its own write
 *       alone (its failure operations run there, if its compares still fail);
 *   <li>when the store throws for the batch, each caller in it throws that.
 * </ul>
 *
 * <p>The writes of a batch touch different keys, counting compared keys: a write naming a key
 * already in the batch ends it (a store refuses a transaction that puts a key twice, and a
 * compare must not see another write of the same batch). A batch holds at most {@code
 * max_txn_ops} operations and one compare fewer (left for the fence that {@link
 * io.metasrv.fence.FencedKv} adds), and at most {@link #MAX_BATCH_BYTES} of keys and values; a
 * larger write goes alone.
 *
 * <p>GreptimeDB writes each procedure record and each table's metadata with its own request.
 * CREATE TABLE from 16 clients on etcd (bench/ddl), where the leader's procedure records, the
 * creates' metadata transactions and the deletions of finished procedures' records share
 * transactions: the leader's writes per create came down from 1.4 transactions, when only the
 * records were batched, to 0.4.
 */
public final class GroupCommit {
  /** Keeps a batch well below etcd's default request limit (1.5 MiB). */
  static final long MAX_BATCH_BYTES = 512 * 1024;

  private final KvBackend kv;
  private final Object lock = new Object();
  private final Deque<Write> waiting = new ArrayDeque<>(); // guarded by lock
  private boolean sending; // guarded by lock

  public GroupCommit(KvBackend kv) {
    this.kv = kv;
  }

  /** The store the writes go to. */
  public KvBackend kv() {
    return kv;
  }

  /** What a waiting write's caller is to do, or what became of its write. */
  private enum Turn {
    /** Another caller stored it: the answer is in the outcome. */
    STORED,
    /** Send the next batch, holding this write. */
    SEND_BATCH,
    /** The batch holding it was refused by a compare: send this write alone. */
    SEND_ALONE
  }

  private record Outcome(Turn turn, TxnResponse response) {
    static final Outcome SEND_BATCH = new Outcome(Turn.SEND_BATCH, null);
    static final Outcome SEND_ALONE = new Outcome(Turn.SEND_ALONE, null);
  }

  /** One caller's write and what became of it. */
  private static final class Write {
    final Txn txn;
    /** Whether it is {@link #put}'s: sent alone, it goes as a plain put. */
    final boolean plainPut;
    final Set<ByteBuffer> keys = new HashSet<>();
    final long bytes;
    /** Completed exceptionally when the store threw for another caller's batch holding it. */
    final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

    Write(Txn txn, boolean plainPut) {
      this.txn = txn;
      this.plainPut = plainPut;
      long size = 0;
      for (Compare compare : txn.compares()) {
        keys.add(ByteBuffer.wrap(compare.key()));
        size += compare.key().length + (compare.value() == null ? 0 : compare.value().length);
      }
      for (TxnOp op : txn.success()) {
        keys.add(ByteBuffer.wrap(op.key()));
        size += op.key().length + (op instanceof TxnOp.Put put ? put.value().length : 0);
      }
      this.bytes = size;
    }
  }

  /**
   * Stores {@code value} at {@code key}, in a transaction with the writes of other callers
   * waiting meanwhile.
   *
   * @throws RuntimeException what the store threw for the transaction holding it
   */
  public void put(byte[] key, byte[] value) {
    submit(new Write(Txn.of(List.of(TxnOp.put(key, value))), true));
  }

  /**
   * Runs {@code txn}, in a transaction with the writes of other callers waiting meanwhile when
   * they fit; answers as {@link KvBackend#txn} would have for it alone.
   *
   * <p>Waits without reacting to interrupts: a caller whose turn it is to send must send, or the
   * callers behind it would wait forever; the store call itself may still fail on an interrupt.
   *
   * @throws RuntimeException what the store threw for the transaction holding it
   */
  public TxnResponse txn(Txn txn) {
    return submit(new Write(txn, false));
  }

  private TxnResponse submit(Write mine) {
    synchronized (lock) {
      waiting.addLast(mine);
      if (!sending) {
        sending = true;
        mine.outcome.complete(Outcome.SEND_BATCH);
      }
    }
    Outcome outcome;
    try {
      outcome = mine.outcome.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw e;
    }
    if (outcome.turn() == Turn.SEND_BATCH) {
      outcome = sendBatch();
    }
    if (outcome.turn() == Turn.SEND_ALONE) {
      return sendAlone(mine);
    }
    return outcome.response();
  }

  private TxnResponse sendAlone(Write write) {
    if (write.plainPut) {
      TxnOp.Put put = (TxnOp.Put) write.txn.success().get(0);
      return new TxnResponse(true, List.of(new TxnOpResponse.Put(kv.put(put.key(), put.value()))));
    }
    return kv.txn(write.txn);
  }

  /**
   * Sends the waiting writes that fit in one batch (this caller's first), tells the others in
   * the batch what became of theirs, passes the turn to the next waiter, and returns this
   * caller's outcome or throws what the store threw.
   */
  private Outcome sendBatch() {
    List<Write> batch = takeBatch();
    List<Write> others = batch.subList(1, batch.size());
    try {
      if (others.isEmpty()) {
        return new Outcome(Turn.STORED, sendAlone(batch.get(0)));
      }
      List<Compare> compares = new ArrayList<>();
      List<TxnOp> operations = new ArrayList<>();
      for (Write write : batch) {
        compares.addAll(write.txn.compares());
        operations.addAll(write.txn.success());
      }
      TxnResponse response = kv.txn(Txn.when(compares, operations, List.of()));
      if (!response.succeeded()) {
        others.forEach(write -> write.outcome.complete(Outcome.SEND_ALONE));
        return Outcome.SEND_ALONE;
      }
      List<Outcome> outcomes = new ArrayList<>(batch.size());
      int from = 0;
      for (Write write : batch) {
        int to = from + write.txn.success().size();
        outcomes.add(new Outcome(Turn.STORED,
            new TxnResponse(true, response.responses().subList(from, to), response.revision())));
        from = to;
      }
      for (int i = 1; i < batch.size(); i++) {
        batch.get(i).outcome.complete(outcomes.get(i));
      }
      return outcomes.get(0);
    } catch (RuntimeException | Error e) {
      others.forEach(write -> write.outcome.completeExceptionally(e));
      throw e;
    } finally {
      synchronized (lock) {
        Write next = waiting.peekFirst();
        if (next == null) {
          sending = false;
        } else {
          next.outcome.complete(Outcome.SEND_BATCH);
        }
      }
    }
  }

  /** The waiting writes of the next batch, in arrival order; the sender's is first. */
  private List<Write> takeBatch() {
    int maxOps = kv.limits().maxTxnOps();
    List<Write> batch = new ArrayList<>();
    Set<ByteBuffer> keys = new HashSet<>();
    int compares = 0;
    int operations = 0;
    long bytes = 0;
    synchronized (lock) {
      while (!waiting.isEmpty()) {
        Write next = waiting.peekFirst();
        if (!batch.isEmpty()) {
          boolean fits = compares + next.txn.compares().size() < maxOps
              && operations + next.txn.success().size() <= maxOps
              && bytes + next.bytes <= MAX_BATCH_BYTES
              && next.keys.stream().noneMatch(keys::contains);
          if (!fits) {
            break;
          }
        }
        keys.addAll(next.keys);
        compares += next.txn.compares().size();
        operations += next.txn.success().size();
        bytes += next.bytes;
        batch.add(waiting.pollFirst());
      }
    }
    return batch;
  }
}
