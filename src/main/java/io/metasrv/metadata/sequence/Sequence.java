package io.metasrv.metadata.sequence;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvFutures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unique, increasing ids from a counter in the store, allocated as GreptimeDB's
 * {@code Sequence} allocates them ({@code src/common/meta/src/sequence.rs}).
 *
 * <p>The key {@code __meta_seq-{name}} holds the first id not yet reserved by anyone, as 8 bytes
 * little-endian. A sequence reserves {@code step} ids at a time by compare-and-put of that value
 * (expecting the key absent the first time), then hands them out from memory. When the
 * compare-and-put fails, the value it found is where the next attempt starts, so two processes
 * sharing the key never reserve the same id. Ids reserved and not handed out are lost (gaps):
 * after a restart, a leader change, a {@link #jumpTo}.
 *
 * <p>When the store fails during a reservation (the write may or may not have happened), the
 * failure reaches the caller and no id of that range is handed out. The next call expects the
 * value seen before; if the failed write did land, that compare-and-put fails, reads the new
 * value and starts after it: an id is never handed out twice.
 *
 * <p>On the leader, pass the fenced store ({@link io.metasrv.fence.FencedKv}): a deposed leader
 * then reserves nothing more, and the ids it still holds in memory were reserved for it alone.
 *
 * <p>A sequence {@link #reservingAhead() reserving ahead} starts reserving its next range once
 * half of the current one is handed out, in the background, so that callers rarely wait for the
 * store: GreptimeDB reserves table ids 10 at a time, and CREATE TABLE from 16 clients stalled
 * on every tenth create while one reservation held the sequence. The stored value and the ranges
 * are the same; a leader change loses up to two ranges instead of one. When a reservation ahead
 * fails, the caller that needs the range reserves it itself, expecting the value seen before.
 *
 * <p>Ids are at most {@link Long#MAX_VALUE} (GreptimeDB allows the full unsigned 64-bit range; a
 * stored value beyond it is reported as unexpected). Thread-safe.
 */
public final class Sequence {
  public static final String KEY_PREFIX = "__meta_seq";
  /** Attempts at one reservation or jump before giving up, as GreptimeDB's {@code force_quit}. */
  static final int MAX_ATTEMPTS = 1024;
  private static final Logger log = LoggerFactory.getLogger(Sequence.class);

  private final String key;
  private final byte[] keyBytes;
  private final long initial;
  private final long step;
  private final long max;
  private final KvBackend store;

  /** The smallest id this sequence hands out: {@code initial}, raised by {@link #jumpTo}. */
  private volatile long floor;
  // guarded by this: the reserved range [next, end) not yet handed out, and the stored value
  // as last seen (null when the key was absent), which the next compare-and-put expects
  private long next;
  private long end;
  private byte[] seen;
  /** Whether the next range is reserved once half of the current one is handed out. */
  private final boolean reserveAhead;
  /** The next range being (or already) reserved ahead, null when none is; guarded by this. */
  private CompletableFuture<Reserved> ahead;

  /** A reserved range {@code [start, end)} and the stored value that reserved it. */
  private record Reserved(long start, long end, byte[] stored) {}

  /** Table (and view) ids: from 1024 (0–1023 are system tables), reserved 10 at a time. */
  public static Sequence tableIds(KvBackend store) {
    return new Sequence("table_id", 1024, 10, store);
  }

  /** Flow ids: from 1024, reserved 10 at a time. */
  public static Sequence flowIds(KvBackend store) {
    return new Sequence("flow_id", 1024, 10, store);
  }

  /** Mailbox message ids: from 1 (0 marks one-way messages), reserved 100 at a time. */
  public static Sequence heartbeatMailbox(KvBackend store) {
    return new Sequence("heartbeat_mailbox", 1, 100, store);
  }

  /** A sequence with no upper bound below {@link Long#MAX_VALUE}. */
  public Sequence(String name, long initial, long step, KvBackend store) {
    this(name, initial, step, Long.MAX_VALUE, store);
  }

  /**
   * @param name the key is {@code __meta_seq-{name}}
   * @param initial the first id ever handed out; a smaller stored value is treated as this
   * @param step how many ids one compare-and-put reserves
   * @param max ids stay below this
   */
  public Sequence(String name, long initial, long step, long max, KvBackend store) {
    this(name, initial, step, max, store, false);
  }

  private Sequence(String name, long initial, long step, long max, KvBackend store,
      boolean reserveAhead) {
    if (initial < 0 || step < 1 || max <= initial) {
      throw new IllegalArgumentException("sequence " + name + ": need 0 <= initial < max and"
          + " step >= 1, got initial=" + initial + " step=" + step + " max=" + max);
    }
    this.key = KEY_PREFIX + "-" + name;
    this.keyBytes = Bytes.utf8(key);
    this.initial = initial;
    this.step = step;
    this.max = max;
    this.store = store;
    this.floor = initial;
    this.next = initial;
    this.end = initial;
    this.reserveAhead = reserveAhead;
  }

  /** The same sequence, reserving its next range ahead (see the class comment). */
  public Sequence reservingAhead() {
    return new Sequence(key.substring(KEY_PREFIX.length() + 1), initial, step, max, store, true);
  }

  /** The store key, e.g. {@code __meta_seq-table_id}. */
  public String key() {
    return key;
  }

  /** The first id the sequence was configured to hand out (ids below it are reserved). */
  public long initial() {
    return initial;
  }

  /**
   * The next id, reserving a new range from the store when the one in memory is used up.
   *
   * @throws SequenceException when the sequence is exhausted, the stored value is malformed, or
   *     the reservation lost {@value #MAX_ATTEMPTS} races in a row
   * @throws io.metasrv.kv.KvException when the store fails (for a fenced store: this node is no
   *     longer leader)
   */
  public synchronized long next() {
    if (next == end) {
      if (!takeReservedAhead()) {
        reserveRange();
      }
    }
    long id = next++;
    if (reserveAhead && ahead == null && end - next <= step / 2) {
      ahead = reserveAsync(seen, 0);
    }
    return id;
  }

  /**
   * Moves to the range reserved ahead, waiting for it if need be; false when there is none or
   * its reservation failed (the caller then reserves, expecting the value seen before).
   */
  private boolean takeReservedAhead() {
    CompletableFuture<Reserved> reserving = ahead;
    ahead = null;
    if (reserving == null) {
      return false;
    }
    try {
      moveTo(reserving.join());
    } catch (CompletionException e) {
      log.debug("reserving sequence {} ahead failed: {}", key, e.getCause().toString());
      return false;
    }
    return true;
  }

  /**
   * {@link #reserveRange}'s loop without waiting: completes with the range reserved after
   * {@code expected}, the stored value it compares with.
   */
  private CompletableFuture<Reserved> reserveAsync(byte[] expected, int attempt) {
    if (attempt >= MAX_ATTEMPTS) {
      return CompletableFuture.failedFuture(racesLost());
    }
    Reserved range;
    try {
      range = rangeAfter(expected);
    } catch (SequenceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return KvFutures.start(() -> store.compareAndPutAsync(keyBytes, expected, range.stored()))
        .thenCompose(cas -> cas.success() ? CompletableFuture.completedFuture(range)
            : reserveAsync(stored(cas), attempt + 1));
  }

  /**
   * The first id of the next range any sequence on this key would reserve, read from the store
   * without reserving anything: the next id a new leader would hand out. Ids this instance still
   * holds in memory are below it.
   */
  public long peek() {
    return startAfter(store.get(keyBytes).map(KeyValue::value).orElse(null));
  }

  /**
   * Moves the sequence forward so that the next id handed out is {@code nextId}: stores it and
   * drops the ids held in memory (they are below it). Refused unless {@code nextId} is greater
   * than {@link #peek()}; the check and the write are one compare-and-put, retried while other
   * reservations race with it.
   *
   * @throws SequenceJumpRefusedException when {@code nextId} is not greater than the current next
   *     id
   */
  public synchronized void jumpTo(long nextId) {
    takeReservedAhead(); // its range, below the jump, is dropped with the one in memory
    byte[] stored = store.get(keyBytes).map(KeyValue::value).orElse(null);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      long current = startAfter(stored);
      if (nextId <= current) {
        throw new SequenceJumpRefusedException(nextId, current);
      }
      byte[] target = encode(nextId);
      CompareAndPutResponse cas = store.compareAndPut(keyBytes, stored, target);
      if (cas.success()) {
        log.info("sequence {} jumped from {} to {}", key, current, nextId);
        seen = target;
        floor = nextId;
        next = nextId;
        end = nextId;
        return;
      }
      stored = stored(cas);
    }
    throw new SequenceException("Failed to reset sequence " + key + " to " + nextId);
  }

  private void reserveRange() {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Reserved range = rangeAfter(seen);
      CompareAndPutResponse cas = store.compareAndPut(keyBytes, seen, range.stored());
      if (cas.success()) {
        moveTo(range);
        return;
      }
      seen = stored(cas);
    }
    throw racesLost();
  }

  /**
   * The range a reservation takes when the store holds {@code expected}: from {@link
   * #startAfter} it, {@code step} ids or up to {@code max}.
   *
   * @throws SequenceException when no id is left below {@code max}
   */
  private Reserved rangeAfter(byte[] expected) {
    long start = startAfter(expected);
    long size = Math.min(step, max - start);
    if (size <= 0) {
      throw new SequenceException("Failed to get sequence: next sequence exhausted, max: "
          + max);
    }
    return new Reserved(start, start + size, encode(start + size));
  }

  private void moveTo(Reserved range) {
    seen = range.stored();
    next = range.start();
    end = range.end();
  }

  private SequenceException racesLost() {
    return new SequenceException("Failed to get sequence: " + key + ".next_range()");
  }

  /** What a failed compare-and-put found stored (null: absent). */
  private static byte[] stored(CompareAndPutResponse cas) {
    return cas.prev().map(KeyValue::value).orElse(null);
  }

  /** Where a reservation starts when the store holds {@code stored} (null: absent). */
  private long startAfter(byte[] stored) {
    return stored == null ? floor : Math.max(decode(stored), floor);
  }

  private long decode(byte[] value) {
    if (value.length != Long.BYTES) {
      throw new SequenceException("Unexpected sequence value: Not a valid u64 for '" + key
          + "': " + Arrays.toString(value));
    }
    long decoded = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (decoded < 0) {
      throw new SequenceException("Unexpected sequence value: '" + key + "' holds "
          + Long.toUnsignedString(decoded) + ", beyond the largest id this server hands out ("
          + Long.MAX_VALUE + ")");
    }
    return decoded;
  }

  static byte[] encode(long value) {
    return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
  }

  @Override
  public String toString() {
    return "Sequence{" + key + ", initial=" + initial + ", step=" + step + "}";
  }
}
