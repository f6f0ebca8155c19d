package io.metasrv.fence;

import io.metasrv.kv.Compare;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.DeleteRangeResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.RangeResponse;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.TxnOpResponse;
import io.metasrv.kv.TxnResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store as the leader writes it: reads pass through, and every write is a transaction
 * that also requires the stored leader epoch to equal the one this node holds.
 *
 * <p>When such a transaction fails, the epoch is read again: epochs only grow, so if it is
 * still ours the failure came from the caller's own compares; otherwise the write is refused
 * with {@link FencedException} and {@code onFenced} is told, so the node steps down.
 * Batch writes and range deletes are fenced chunk by chunk ({@code max_txn_ops} keys each).
 *
 * <p>At DEBUG every fenced write is logged with the epoch it carried, whether the store applied
 * it and the store revision. A write the store applied while its epoch was current but whose
 * answer came back only after this node gave the epoch up (a node frozen mid-write: a GC pause,
 * SIGSTOP) is logged at INFO: it is no stale write, it landed before any successor's epoch, but
 * its caller hears of it late.
 *
 * <p>Asynchronous forms: reads forward to the wrapped store's asynchronous reads. A write's
 * asynchronous form runs the synchronous write, the same code, on a thread of this store's own
 * ({@code metasrv-fenced-write-N}), so it is fenced exactly as the synchronous write. It is not
 * built from the wrapped store's asynchronous calls because a write that fails its epoch compare
 * reads the stored epoch again and tells {@code onFenced}, which resigns leadership and waits for
 * the election to let go; run from a store callback (for etcd, its channel's network thread)
 * that wait would hold up every answer due on that thread. No caller and no store callback
 * thread is ever blocked by a fenced write.
 */
public final class FencedKv implements KvBackend {
  private static final Logger log = LoggerFactory.getLogger(FencedKv.class);

  private final KvBackend inner;
  private final LeaderEpoch epochs;
  private final LongConsumer onFenced;
  private volatile long heldEpoch;
  private final AtomicInteger writeThreads = new AtomicInteger();
  /** Runs the asynchronous forms of writes; threads end after a minute without work. */
  private final ExecutorService writes = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "metasrv-fenced-write-" + writeThreads.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  /**
   * @param onFenced called with the current epoch when a write finds this node fenced
   */
  public FencedKv(KvBackend inner, LongConsumer onFenced) {
    this.inner = inner;
    this.epochs = new LeaderEpoch(inner);
    this.onFenced = onFenced;
  }

  /** Becomes leader for {@code term} (see {@link LeaderEpoch#acquire}); returns the epoch. */
  public long acquire(long term) {
    heldEpoch = epochs.acquire(term);
    return heldEpoch;
  }

  /** Stops writing as leader; every write is refused until the next {@link #acquire}. */
  public void release() {
    heldEpoch = 0;
  }

  /** The epoch this node holds, 0 when it is not leader. */
  public long heldEpoch() {
    return heldEpoch;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public KvLimits limits() {
    return inner.limits();
  }

  @Override
  public RangeResponse range(RangeRequest request) {
    return inner.range(request);
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    return inner.get(key);
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    return inner.batchGet(keys);
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    TxnResponse response = fenced(List.of(TxnOp.put(key, value)));
    return ((TxnOpResponse.Put) response.responses().get(0)).prev();
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    List<KeyValue> prevs = new ArrayList<>();
    for (List<KeyValue> chunk : chunks(kvs)) {
      List<TxnOp> ops = chunk.stream().map(kv -> TxnOp.put(kv.key(), kv.value())).toList();
      for (TxnOpResponse r : fenced(ops).responses()) {
        ((TxnOpResponse.Put) r).prev().filter(p -> prevKv).ifPresent(prevs::add);
      }
    }
    return prevs;
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    List<KeyValue> prevs = new ArrayList<>();
    for (List<byte[]> chunk : chunks(keys)) {
      List<TxnOp> ops = chunk.stream().map(TxnOp::delete).toList();
      for (TxnOpResponse r : fenced(ops).responses()) {
        ((TxnOpResponse.Delete) r).prev().filter(p -> prevKv).ifPresent(prevs::add);
      }
    }
    return prevs;
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    requireHeld(); // refuse a follower even when the range turns out empty
    List<byte[]> keys = inner.range(new RangeRequest(request.key(), request.rangeEnd(), 0, true))
        .kvs().stream().map(KeyValue::key).toList();
    List<KeyValue> prevs = new ArrayList<>();
    long deleted = 0;
    for (List<byte[]> chunk : chunks(keys)) {
      for (TxnOpResponse r : fenced(chunk.stream().map(TxnOp::delete).toList())
          .responses()) {
        Optional<KeyValue> prev = ((TxnOpResponse.Delete) r).prev();
        if (prev.isPresent()) {
          deleted++;
          prev.filter(p -> prevKv).ifPresent(prevs::add);
        }
      }
    }
    return new DeleteRangeResponse(deleted, prevs);
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    Compare compare = expect == null ? Compare.absent(key) : Compare.valueEquals(key, expect);
    long epoch = requireHeld();
    long sentAt = System.nanoTime();
    TxnResponse response = inner.txn(Txn.when(List.of(epochIs(epoch), compare),
        List.of(TxnOp.put(key, value)), List.of(TxnOp.get(key))));
    if (response.succeeded()) {
      applied(epoch, sentAt, response);
      return new CompareAndPutResponse(true,
          ((TxnOpResponse.Put) response.responses().get(0)).prev());
    }
    checkStillHeld(epoch, response);
    return new CompareAndPutResponse(false,
        ((TxnOpResponse.Get) response.responses().get(0)).kv());
  }

  /**
   * Runs the transaction only while the epoch is held.
   *
   * <p>The failure branch cannot simply ride along: in one store transaction it would also run
   * when it is the epoch compare that fails. So a transaction whose failure branch writes runs
   * in two steps: first with the success branch alone; when that fails and the epoch still
   * holds, the failure branch runs guarded by the epoch and by the compared keys being exactly
   * as read (value, version, existence: all a compare can see), so the caller's compares still
   * fail when it runs. If a compared key moved in between, both steps start again.
   */
  @Override
  public TxnResponse txn(Txn txn) {
    boolean failureWrites = txn.failure().stream().anyMatch(op -> !(op instanceof TxnOp.Get));
    long epoch = requireHeld();
    List<Compare> compares = new ArrayList<>(txn.compares());
    compares.add(epochIs(epoch));
    while (true) {
      long sentAt = System.nanoTime();
      TxnResponse response = inner.txn(
          Txn.when(compares, txn.success(), failureWrites ? List.of() : txn.failure()));
      if (response.succeeded()) {
        applied(epoch, sentAt, response);
        return response;
      }
      checkStillHeld(epoch, response);
      if (!failureWrites) {
        return response;
      }
      List<Compare> guards = new ArrayList<>();
      guards.add(epochIs(requireHeld())); // refused at once if this node stepped down meanwhile
      for (Compare compare : txn.compares()) {
        guards.addAll(unchanged(compare.key()));
      }
      sentAt = System.nanoTime();
      TxnResponse failure = inner.txn(Txn.when(guards, txn.failure(), List.of()));
      if (failure.succeeded()) {
        applied(epoch, sentAt, failure);
        return new TxnResponse(false, failure.responses(), failure.revision());
      }
      checkStillHeld(epoch, failure);
    }
  }

  // ---- asynchronous forms: reads pass through, writes run the synchronous write on a thread of
  // this store's (see the class comment)

  @Override
  public CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    return inner.rangeAsync(request);
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    return inner.getAsync(key);
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    return inner.batchGetAsync(keys);
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return write(() -> put(key, value));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return write(() -> batchPut(kvs, prevKv));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return write(() -> batchDelete(keys, prevKv));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return write(() -> deleteRange(request, prevKv));
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return write(() -> compareAndPut(key, expect, value));
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    return write(() -> txn(txn));
  }

  private <T> CompletableFuture<T> write(Supplier<T> write) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      writes.execute(() -> {
        try {
          result.complete(write.get());
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new KvException("fenced store is closed", e));
    }
    return result;
  }

  private List<Compare> unchanged(byte[] key) {
    return inner.get(key)
        .map(kv -> List.of(Compare.valueEquals(key, kv.value()),
            Compare.version(key, Compare.Op.EQUAL, kv.version())))
        .orElse(List.of(Compare.absent(key)));
  }

  /**
   * Stops the write threads once the writes already handed to them have run; later asynchronous
   * writes fail with {@link KvException}. The wrapped store is not closed: it belongs to whoever
   * opened it, and other readers and writers share it.
   */
  @Override
  public void close() {
    writes.shutdown();
  }

  private TxnResponse fenced(List<TxnOp> ops) {
    long epoch = requireHeld();
    long sentAt = System.nanoTime();
    TxnResponse response = inner.txn(Txn.when(List.of(epochIs(epoch)), ops, List.of()));
    if (!response.succeeded()) {
      checkStillHeld(epoch, response);
      throw new IllegalStateException("a write without compares failed while the epoch is held");
    }
    applied(epoch, sentAt, response);
    return response;
  }

  /** The epoch this node holds; refuses at once when it holds none. */
  private long requireHeld() {
    long held = heldEpoch;
    if (held == 0) {
      throw new FencedException(0, epochs.current());
    }
    return held;
  }

  private static Compare epochIs(long epoch) {
    return Compare.valueEquals(LeaderEpoch.KEY_BYTES, LeaderEpoch.encode(epoch));
  }

  /** Logs a write the store applied under {@code epoch} (see the class comment). */
  private void applied(long epoch, long sentAt, TxnResponse response) {
    long heldNow = heldEpoch;
    if (heldNow != epoch) {
      log.info("fenced write under epoch {} was applied at store revision {} while the epoch was"
              + " current, but answered {} ms after it was sent, after this node gave the epoch up"
              + " (it now holds {})", epoch, response.revision(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt), heldNow);
    } else if (log.isDebugEnabled()) {
      log.debug("fenced write under epoch {} applied at store revision {} in {} ms", epoch,
          response.revision(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));
    }
  }

  /** After a failed transaction that carried {@code epoch}: throws if the epoch is not current. */
  private void checkStillHeld(long epoch, TxnResponse response) {
    long held = heldEpoch;
    long current = epochs.current();
    if (log.isDebugEnabled()) {
      log.debug("fenced write under epoch {} not applied (store revision {}); stored epoch {},"
          + " held {}", epoch, response.revision(), current, held);
    }
    if (current != held) {
      onFenced.accept(current);
      throw new FencedException(held, current);
    }
  }

  private <T> List<List<T>> chunks(List<T> items) {
    int size = inner.limits().maxTxnOps();
    List<List<T>> chunks = new ArrayList<>();
    for (int i = 0; i < items.size(); i += size) {
      chunks.add(items.subList(i, Math.min(items.size(), i + size)));
    }
    return chunks;
  }
}
