package io.metasrv.kv;

import java.util.List;
import java.util.TreeSet;

/**
 * Limits every backend enforces before it writes anything, and the checks that enforce them.
 *
 * <p>Every backend calls the same {@code check*} methods first thing, so a request refused by one
 * backend is refused by all of them with the same exception, whatever the server behind would
 * have said. The rules are etcd's: no empty keys, at most {@code maxTxnOps} compares and at most
 * {@code maxTxnOps} operations per branch, a key written at most once per branch.
 *
 * @param maxTxnOps the most operations one transaction may hold ({@code max_txn_ops})
 * @param maxValueSize the largest value in bytes ({@code procedure.max_metadata_value_size}),
 *     or 0 for no limit
 */
public record KvLimits(int maxTxnOps, long maxValueSize) {

  /** The seed's defaults: 128 operations, 1500 KiB values. */
  public static final KvLimits DEFAULT = new KvLimits(128, 1500L * 1024);

  public KvLimits {
    if (maxTxnOps < 1) {
      throw new IllegalArgumentException("maxTxnOps must be at least 1, got " + maxTxnOps);
    }
    if (maxValueSize < 0) {
      throw new IllegalArgumentException("maxValueSize must not be negative, got " + maxValueSize);
    }
  }

  /** Refuses a missing or empty key, as etcd does for every request. */
  public static void checkKey(byte[] key) {
    if (key == null) {
      throw new InvalidKeyException(null, "key must not be null");
    }
    if (key.length == 0) {
      throw new InvalidKeyException(key, "key is not provided");
    }
  }

  public static void checkKeys(List<byte[]> keys) {
    keys.forEach(KvLimits::checkKey);
  }

  /** Refuses a range or delete-range request whose start key is empty. */
  public static void checkRange(RangeRequest request) {
    checkKey(request.key());
  }

  /** Refuses an empty key or a value above {@code maxValueSize}. */
  public void checkPut(byte[] key, byte[] value) {
    checkKey(key);
    if (value == null) {
      throw new IllegalArgumentException("value of key " + Bytes.show(key) + " must not be null");
    }
    if (maxValueSize > 0 && value.length > maxValueSize) {
      throw new ValueTooLargeException(key, value.length, maxValueSize);
    }
  }

  /**
   * Checks a whole batch before any of it is written: each entry as {@link #checkPut}, and no key
   * twice (a chunk holding a key twice is a transaction etcd refuses).
   */
  public void checkBatchPut(List<KeyValue> kvs) {
    TreeSet<byte[]> seen = new TreeSet<>(Bytes.ORDER);
    for (KeyValue kv : kvs) {
      checkPut(kv.key(), kv.value());
      if (!seen.add(kv.key())) {
        throw new InvalidKeyException(kv.key(), "key appears twice in one batch put");
      }
    }
  }

  /**
   * Checks a transaction before anything runs: its size, every key and put value, and that no
   * branch puts a key it also puts or deletes (deleting a key twice is allowed, as in etcd).
   */
  public void checkTxn(Txn txn) {
    if (txn.opCount() > maxTxnOps) {
      throw new TxnTooLargeException(txn.opCount(), maxTxnOps);
    }
    txn.compares().forEach(compare -> checkKey(compare.key()));
    checkBranch(txn.success());
    checkBranch(txn.failure());
  }

  private void checkBranch(List<TxnOp> ops) {
    TreeSet<byte[]> puts = new TreeSet<>(Bytes.ORDER);
    TreeSet<byte[]> deletes = new TreeSet<>(Bytes.ORDER);
    for (TxnOp op : ops) {
      checkKey(op.key());
      if (op instanceof TxnOp.Put put) {
        checkPut(put.key(), put.value());
        if (!puts.add(put.key()) || deletes.contains(put.key())) {
          throw new InvalidKeyException(put.key(), "key is written twice in one transaction branch");
        }
      } else if (op instanceof TxnOp.Delete delete) {
        if (puts.contains(delete.key())) {
          throw new InvalidKeyException(
              delete.key(), "key is written twice in one transaction branch");
        }
        deletes.add(delete.key());
      }
    }
  }
}
