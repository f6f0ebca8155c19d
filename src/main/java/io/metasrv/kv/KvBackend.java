package io.metasrv.kv;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An ordered key-value store with etcd's semantics, the one storage contract of metasrv.
 *
 * <p>Keys are compared as unsigned bytes. Every method either completes or throws a
 * {@link KvException} subtype: {@link TxnTooLargeException}, {@link ValueTooLargeException}
 * for refused input, {@link KvUnavailableException} when the backend cannot be reached.
 * Implementations are thread-safe.
 *
 * <h2>Asynchronous calls</h2>
 *
 * <p>Every operation also has an {@code ...Async} form with the same semantics, for callers that
 * must not hold a thread while the store answers (the gRPC Store service). The rules:
 *
 * <ul>
 *   <li>An async method never throws: a refused request (the {@link KvLimits} checks) and every
 *       failure complete the future exceptionally with the exception the synchronous method
 *       would have thrown ({@link java.util.concurrent.CompletableFuture#get()} reports it as the
 *       cause of its {@code ExecutionException}; dependent stages may see it wrapped in a
 *       {@link java.util.concurrent.CompletionException}, see {@link KvFutures#cause}).
 *   <li>The future may complete on any thread: the caller's, or a thread of the store's client
 *       (for etcd, the network thread of its channel). Dependent stages run there too, so they
 *       must never block, and above all never call a synchronous method of a store on that
 *       thread: its answer may have to arrive through the very thread that waits for it.
 *   <li>Decorators forward the async form to the async form of the store they wrap, so a call
 *       goes through every decorator (prefix, metrics, fencing) whichever form it takes.
 * </ul>
 *
 * <p>The default implementations run the synchronous method on the calling thread and return a
 * completed future. That is right for a store that answers from memory ({@link MemoryKv}); a
 * store whose synchronous methods wait for I/O overrides every async method.
 */
public interface KvBackend extends AutoCloseable {

  /** A short name for logs and metrics, e.g. {@code memory}, {@code etcd}. */
  String name();

  /** The limits this backend enforces. */
  KvLimits limits();

  /** Reads the keys selected by the request, in key order, at most {@code limit} of them. */
  RangeResponse range(RangeRequest request);

  /** Reads one key. */
  Optional<KeyValue> get(byte[] key);

  /** Writes one key and returns its previous value, if any. */
  Optional<KeyValue> put(byte[] key, byte[] value);

  /** Reads several keys; missing keys are left out, the result is in key order. */
  List<KeyValue> batchGet(List<byte[]> keys);

  /**
   * Writes several keys. Atomic when the batch has at most {@code max_txn_ops} entries; a larger
   * batch is written in chunks of that size, each atomic (non-atomic batch semantics, as asked).
   *
   * @return the previous values of the keys that existed, when {@code prevKv} is set
   */
  List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv);

  /**
   * Deletes several keys, with the same chunking rule as {@link #batchPut}.
   *
   * @return the deleted key-values, when {@code prevKv} is set
   */
  List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv);

  /** Deletes the keys selected by the request (its limit and keys-only flag are ignored). */
  DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv);

  /**
   * Writes {@code value} if the key's current value equals {@code expect}; an {@code expect} of
   * {@code null} means "the key must not exist".
   */
  CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value);

  /**
   * Runs a transaction atomically: when every compare holds, the success operations run,
   * otherwise the failure operations. Refused with {@link TxnTooLargeException} when it has more
   * than {@code max_txn_ops} operations on either branch.
   */
  TxnResponse txn(Txn txn);

  // ---- asynchronous forms (see the class comment)

  /** {@link #range} without waiting. */
  default CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    return KvFutures.now(() -> range(request));
  }

  /** {@link #get} without waiting. */
  default CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    return KvFutures.now(() -> get(key));
  }

  /** {@link #put} without waiting. */
  default CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return KvFutures.now(() -> put(key, value));
  }

  /** {@link #batchGet} without waiting. */
  default CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    return KvFutures.now(() -> batchGet(keys));
  }

  /** {@link #batchPut} without waiting; chunks are written one after another, as there. */
  default CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return KvFutures.now(() -> batchPut(kvs, prevKv));
  }

  /** {@link #batchDelete} without waiting; chunks are deleted one after another, as there. */
  default CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return KvFutures.now(() -> batchDelete(keys, prevKv));
  }

  /** {@link #deleteRange} without waiting. */
  default CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return KvFutures.now(() -> deleteRange(request, prevKv));
  }

  /** {@link #compareAndPut} without waiting. */
  default CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return KvFutures.now(() -> compareAndPut(key, expect, value));
  }

  /** {@link #txn} without waiting. */
  default CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    return KvFutures.now(() -> txn(txn));
  }

  @Override
  void close();
}
