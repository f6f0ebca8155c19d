package io.metasrv.kv;

import java.util.List;
import java.util.Optional;

/**
 * An ordered key-value store with etcd's semantics, the one storage contract of metasrv.
 *
 * <p>Keys are compared as unsigned bytes. Every method either completes or throws a
 * {@link KvException} subtype: {@link TxnTooLargeException}, {@link ValueTooLargeException}
 * for refused input, {@link KvUnavailableException} when the backend cannot be reached.
 * Implementations are thread-safe.
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

  @Override
  void close();
}
