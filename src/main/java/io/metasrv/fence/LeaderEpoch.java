package io.metasrv.fence;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import java.util.Optional;

/**
 * The leader epoch stored in the backend: a number that only grows, one step per leadership.
 *
 * <p>The value is a zero-padded 20-digit decimal, so that it reads well in {@code etcdctl}
 * and byte order equals numeric order.
 */
public final class LeaderEpoch {
  public static final String KEY = "__metasrv_leader_epoch";
  static final byte[] KEY_BYTES = Bytes.utf8(KEY);

  private final KvBackend kv;

  public LeaderEpoch(KvBackend kv) {
    this.kv = kv;
  }

  /** The stored epoch, 0 when no leader ever stored one. */
  public long current() {
    return kv.get(KEY_BYTES).map(kv -> decode(kv.value())).orElse(0L);
  }

  /**
   * Stores this node's epoch for a new leadership.
   *
   * @param term the election's fencing token; 0 when it has none, and the epoch is then the
   *     stored one plus one
   * @return the epoch this node now holds
   * @throws FencedException when a later leader already stored an epoch at least {@code term}
   */
  public long acquire(long term) {
    while (true) {
      Optional<KeyValue> stored = kv.get(KEY_BYTES);
      long current = stored.map(s -> decode(s.value())).orElse(0L);
      long next = term == 0 ? current + 1 : term;
      if (next <= current) {
        throw new FencedException(term, current);
      }
      CompareAndPutResponse cas = kv.compareAndPut(KEY_BYTES,
          stored.map(KeyValue::value).orElse(null), encode(next));
      if (cas.success()) {
        return next;
      }
    }
  }

  static byte[] encode(long epoch) {
    return Bytes.utf8(String.format("%020d", epoch));
  }

  static long decode(byte[] value) {
    try {
      return Long.parseLong(Bytes.utf8(value));
    } catch (NumberFormatException e) {
      throw new IllegalStateException("leader epoch key " + KEY + " holds " + Bytes.show(value)
          + ", not a number; was it written by something else?", e);
    }
  }
}
