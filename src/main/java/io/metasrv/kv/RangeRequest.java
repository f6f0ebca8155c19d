package io.metasrv.kv;

/**
 * Which keys a range read or delete selects, with etcd's rules.
 *
 * <ul>
 *   <li>{@code rangeEnd} empty: only {@code key};
 *   <li>{@code rangeEnd} = {@code [0]}: every key &gt;= {@code key} (with {@code key} = {@code [0]}:
 *       every key);
 *   <li>otherwise the half-open interval [{@code key}, {@code rangeEnd}).
 * </ul>
 *
 * @param limit the most key-values to return, 0 for no limit
 * @param keysOnly return keys without values
 */
public record RangeRequest(byte[] key, byte[] rangeEnd, long limit, boolean keysOnly) {

  public RangeRequest {
    if (key == null || rangeEnd == null) {
      throw new IllegalArgumentException("range key and range end must not be null");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("range limit must not be negative, got " + limit);
    }
  }

  public static RangeRequest single(byte[] key) {
    return new RangeRequest(key, Bytes.EMPTY, 0, false);
  }

  public static RangeRequest prefix(byte[] prefix) {
    return prefix.length == 0 ? all() : new RangeRequest(prefix, Bytes.prefixEnd(prefix), 0, false);
  }

  public static RangeRequest between(byte[] from, byte[] toExclusive) {
    return new RangeRequest(from, toExclusive, 0, false);
  }

  public static RangeRequest all() {
    return new RangeRequest(Bytes.ZERO.clone(), Bytes.ZERO.clone(), 0, false);
  }

  public RangeRequest withLimit(long newLimit) {
    return new RangeRequest(key, rangeEnd, newLimit, keysOnly);
  }

  public RangeRequest withKeysOnly() {
    return new RangeRequest(key, rangeEnd, limit, true);
  }

  /** Whether this range selects only {@code key} (an empty range end). */
  public boolean isSingleKey() {
    return rangeEnd.length == 0;
  }

  /** Whether this range runs to the end of the keyspace (a range end of {@code [0]}). */
  public boolean isOpenEnded() {
    return rangeEnd.length == 1 && rangeEnd[0] == 0;
  }

  /** Whether {@code candidate} falls inside this range. */
  public boolean contains(byte[] candidate) {
    if (isSingleKey()) {
      return Bytes.ORDER.compare(candidate, key) == 0;
    }
    // Every non-empty key is >= [0], so "all keys" ([0], [0]) needs no case of its own.
    return Bytes.ORDER.compare(candidate, key) >= 0
        && (isOpenEnded() || Bytes.ORDER.compare(candidate, rangeEnd) < 0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RangeRequest other
        && java.util.Arrays.equals(key, other.key)
        && java.util.Arrays.equals(rangeEnd, other.rangeEnd)
        && limit == other.limit
        && keysOnly == other.keysOnly;
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(key) * 31 + java.util.Arrays.hashCode(rangeEnd);
  }

  @Override
  public String toString() {
    return "RangeRequest{key=" + Bytes.show(key) + ", rangeEnd=" + Bytes.show(rangeEnd)
        + ", limit=" + limit + ", keysOnly=" + keysOnly + "}";
  }
}
