package io.metasrv.kv;

/**
 * Limits every backend enforces before it writes anything.
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
}
