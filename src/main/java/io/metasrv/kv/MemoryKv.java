package io.metasrv.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Supplier;

/**
 * A {@link KvBackend} in this process's memory, for single-node use and tests.
 *
 * <p>Writes (including read-only transactions, which must see one consistent state) hold an
 * exclusive lock and share one store revision per call, as etcd's do. Reads take no lock in the
 * common case: they read the concurrent map optimistically and retry under the read lock only
 * when a write ran meanwhile, so a range never mixes states from before and after a write.
 *
 * <p>{@link #withConcurrentPuts} makes a store whose single-key puts take the lock shared: they
 * run beside each other and beside reads, each atomic on its key, and a range may then see a
 * later put without an earlier one on another key. Multi-key writes and transactions stay
 * atomic. For views rebuilt from reports (the leader's cluster view), where every heartbeat
 * puts its own keys and one exclusive lock would queue them all.
 *
 * <p>Keys and values are copied on the way in; returned key-values share the stored arrays,
 * which {@link KeyValue} asks callers to treat as immutable.
 */
public final class MemoryKv implements KvBackend {
  private final KvLimits limits;
  private final ConcurrentSkipListMap<byte[], KeyValue> entries =
      new ConcurrentSkipListMap<>(Bytes.ORDER);
  private final StampedLock lock = new StampedLock();
  private final boolean concurrentPuts;
  /**
   * The revision of the last write: moved by exclusive writes under the write lock, and by
   * concurrent puts (which exclusive writes exclude) one at a time.
   */
  private final AtomicLong revision = new AtomicLong();
  /** Whether the write running under the write lock has changed anything yet. */
  private boolean changed;
  /** The entry the last {@link #store} replaced; only meaningful under the write lock. */
  private KeyValue replaced;

  public MemoryKv(KvLimits limits) {
    this(limits, false);
  }

  private MemoryKv(KvLimits limits, boolean concurrentPuts) {
    this.limits = limits;
    this.concurrentPuts = concurrentPuts;
  }

  /** A store whose single-key puts do not wait for each other (see the class comment). */
  public static MemoryKv withConcurrentPuts(KvLimits limits) {
    return new MemoryKv(limits, true);
  }

  public MemoryKv() {
    this(KvLimits.DEFAULT);
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public KvLimits limits() {
    return limits;
  }

  @Override
  public RangeResponse range(RangeRequest request) {
    KvLimits.checkRange(request);
    return read(() -> readRange(request));
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    KvLimits.checkKey(key);
    // A lone lookup could see the first key of a running transaction written and, in the
    // caller's next read, its second key not yet: reads validate against writes, as ranges do.
    // Spelled out rather than through read(), the hottest path allocates no lambda.
    long stamp = lock.tryOptimisticRead();
    KeyValue kv = entries.get(key);
    if (stamp == 0 || !lock.validate(stamp)) {
      stamp = lock.readLock();
      try {
        kv = entries.get(key);
      } finally {
        lock.unlockRead(stamp);
      }
    }
    return Optional.ofNullable(kv);
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    limits.checkPut(key, value);
    byte[] ownKey = key.clone();
    byte[] ownValue = value.clone();
    if (concurrentPuts) {
      return putConcurrently(ownKey, (stored, version, revision) ->
          new KeyValue(stored, ownValue, version, revision));
    }
    return write(revision -> Optional.ofNullable(store(ownKey, ownValue, revision)));
  }

  /**
   * Puts a value this store keeps as given and writes out on every read of the key, as {@link
   * #put} would have stored {@code value.bytes()}. For a store without a value size limit (the
   * bytes are not written to check one), such as the leader's cluster view.
   */
  public Optional<KeyValue> putValueOnRead(byte[] key, ValueOnRead value) {
    KvLimits.checkKey(key);
    if (limits.maxValueSize() > 0) {
      throw new IllegalStateException("a store with a value size limit cannot check a value"
          + " written on read");
    }
    byte[] ownKey = key.clone();
    if (concurrentPuts) {
      return putConcurrently(ownKey, (stored, version, revision) ->
          KeyValue.writtenOnRead(stored, value, version, revision));
    }
    return write(revision -> {
      replaced = null;
      entries.compute(ownKey, (stored, prev) -> {
        replaced = prev;
        return KeyValue.writtenOnRead(stored, value, prev == null ? 1 : prev.version() + 1,
            revision);
      });
      changed = true;
      return Optional.ofNullable(replaced);
    });
  }

  /**
   * A put under the shared lock: exclusive writes (and the reads validating against them) never
   * see it half done, other puts run beside it. The map may apply the function more than once
   * when puts of one key race; each attempt takes the next revision, so revisions still grow.
   */
  private Optional<KeyValue> putConcurrently(byte[] ownKey, StoredEntry entry) {
    KeyValue[] previous = new KeyValue[1];
    long stamp = lock.readLock();
    try {
      entries.compute(ownKey, (key, prev) -> {
        previous[0] = prev;
        return entry.of(key, prev == null ? 1 : prev.version() + 1, revision.incrementAndGet());
      });
    } finally {
      lock.unlockRead(stamp);
    }
    return Optional.ofNullable(previous[0]);
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    KvLimits.checkKeys(keys);
    byte[][] sorted = keys.toArray(new byte[0][]);
    Arrays.sort(sorted, Bytes.ORDER);
    return read(() -> {
      List<KeyValue> found = new ArrayList<>(sorted.length);
      byte[] previous = null;
      for (byte[] key : sorted) {
        if (previous != null && Arrays.equals(previous, key)) {
          continue;
        }
        previous = key;
        KeyValue kv = entries.get(key);
        if (kv != null) {
          found.add(kv);
        }
      }
      return found;
    });
  }

  /** Applies the whole batch at once: atomic whatever its size, which chunking allows. */
  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    limits.checkBatchPut(kvs);
    return write(revision -> {
      List<KeyValue> previous = new ArrayList<>();
      for (KeyValue kv : kvs) {
        KeyValue prev = store(kv.key().clone(), kv.value().clone(), revision);
        if (prevKv && prev != null) {
          previous.add(prev);
        }
      }
      return previous;
    });
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    KvLimits.checkKeys(keys);
    return write(revision -> {
      List<KeyValue> deleted = new ArrayList<>();
      for (byte[] key : keys) {
        KeyValue prev = remove(key);
        if (prevKv && prev != null) {
          deleted.add(prev);
        }
      }
      return deleted;
    });
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    KvLimits.checkRange(request);
    return write(revision -> {
      List<KeyValue> deleted = new ArrayList<>();
      long count = 0;
      Iterator<KeyValue> selected = select(request).values().iterator();
      while (selected.hasNext()) {
        KeyValue kv = selected.next();
        selected.remove();
        changed = true;
        count++;
        if (prevKv) {
          deleted.add(kv);
        }
      }
      return new DeleteRangeResponse(count, deleted);
    });
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    limits.checkPut(key, value);
    return write(revision -> {
      KeyValue current = entries.get(key);
      boolean matches = expect == null
          ? current == null
          : current != null && Arrays.equals(current.value(), expect);
      if (matches) {
        store(key.clone(), value.clone(), revision);
      }
      return new CompareAndPutResponse(matches, Optional.ofNullable(current));
    });
  }

  @Override
  public TxnResponse txn(Txn txn) {
    limits.checkTxn(txn);
    return write(revision -> {
      boolean succeeded = txn.compares().stream().allMatch(c -> c.holds(entries.get(c.key())));
      List<TxnOp> branch = succeeded ? txn.success() : txn.failure();
      List<TxnOpResponse> responses = new ArrayList<>(branch.size());
      for (TxnOp op : branch) {
        responses.add(apply(op, revision));
      }
      // the store's revision after this call, as etcd reports it: the one written at, if any
      return new TxnResponse(succeeded, responses, changed ? revision : revision - 1);
    });
  }

  /** Nothing to release: the data lives and dies with this object. */
  @Override
  public void close() {}

  private TxnOpResponse apply(TxnOp op, long revision) {
    if (op instanceof TxnOp.Put put) {
      KeyValue prev = store(put.key().clone(), put.value().clone(), revision);
      return new TxnOpResponse.Put(Optional.ofNullable(prev));
    }
    if (op instanceof TxnOp.Get get) {
      return new TxnOpResponse.Get(Optional.ofNullable(entries.get(get.key())));
    }
    return new TxnOpResponse.Delete(Optional.ofNullable(remove(op.key())));
  }

  /** Removes a key under the write lock; returns the removed entry. */
  private KeyValue remove(byte[] key) {
    KeyValue prev = entries.remove(key);
    changed |= prev != null;
    return prev;
  }

  /**
   * Stores, under the write lock, key and value arrays that no caller holds; returns the entry
   * it replaced. One traversal of the map: compute reads the previous entry and replaces it.
   */
  private KeyValue store(byte[] ownKey, byte[] ownValue, long revision) {
    replaced = null;
    entries.compute(ownKey, (key, prev) -> {
      replaced = prev;
      return new KeyValue(key, ownValue, prev == null ? 1 : prev.version() + 1, revision);
    });
    changed = true;
    return replaced;
  }

  private RangeResponse readRange(RangeRequest request) {
    long limit = request.limit() == 0 ? Long.MAX_VALUE : request.limit();
    List<KeyValue> kvs = new ArrayList<>((int) Math.min(limit, 64));
    boolean more = false;
    for (KeyValue kv : select(request).values()) {
      if (kvs.size() == limit) {
        more = true;
        break;
      }
      kvs.add(request.keysOnly() ? kv.withoutValue() : kv);
    }
    return new RangeResponse(kvs, more);
  }

  private NavigableMap<byte[], KeyValue> select(RangeRequest request) {
    byte[] from = request.key();
    if (request.isSingleKey()) {
      return entries.subMap(from, true, from, true);
    }
    if (request.isOpenEnded()) {
      return entries.tailMap(from, true);
    }
    if (Bytes.ORDER.compare(from, request.rangeEnd()) >= 0) {
      return Collections.emptyNavigableMap();
    }
    return entries.subMap(from, true, request.rangeEnd(), false);
  }

  private <T> T read(Supplier<T> reader) {
    long stamp = lock.tryOptimisticRead();
    if (stamp != 0) {
      T result = reader.get();
      if (lock.validate(stamp)) {
        return result;
      }
    }
    stamp = lock.readLock();
    try {
      return reader.get();
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /**
   * Runs {@code writer} under the exclusive lock with the revision its writes get; the store's
   * revision moves to it only when something changed, as etcd's does.
   */
  private <T> T write(RevisionedWrite<T> writer) {
    long stamp = lock.writeLock();
    try {
      changed = false;
      long next = revision.get() + 1;
      T result = writer.run(next);
      if (changed) {
        revision.set(next);
      }
      return result;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** The entry a put stores for its key, version and revision. */
  @FunctionalInterface
  private interface StoredEntry {
    KeyValue of(byte[] key, long version, long revision);
  }

  @FunctionalInterface
  private interface RevisionedWrite<T> {
    T run(long revision);
  }
}
