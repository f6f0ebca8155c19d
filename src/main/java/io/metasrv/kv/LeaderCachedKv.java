package io.metasrv.kv;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The leader's read cache over the store, as GreptimeDB's {@code LeaderCachedKvBackend} meant
 * it (the seed never enables it under an election; we do): while {@link #enable enabled},
 * exact-key reads ({@code get}, {@code batchGet}, single-key {@code range}) of keys under the
 * cached prefixes are answered from memory, and misses are read from the store and kept. Other
 * reads, and every read while disabled, go to the store.
 *
 * <p>Every write through this backend goes to the store first and then drops the keys it may
 * have changed from the cache (a range delete drops everything), whether it succeeded or not. A
 * read that raced with a write never puts back the value the write replaced: a read keeps what
 * it read only for keys no write finished with since the read started. The writes are told
 * apart by key through a log of the last {@value #RECENT_WRITES} (a read that outlived the log
 * keeps nothing): while DDL writes hundreds of times a second, nearly every read overlaps some
 * write, and a read that kept nothing then had every heartbeat read the routes of all tables
 * created since the writes began from the store again (CREATE TABLE from 16 clients:
 * {@code batch_get}s of 60-280 ms, several a second). What a successful transaction put under
 * a compare that the key is absent (a new table's info and route) is cached as written.
 *
 * <p>Coherent only for writes that go through this backend: the leader's own, and the Store
 * service's on this node. It is enabled on leader start (after {@link #enable} loads the
 * cached prefixes) and disabled, emptied, on step-down.
 */
public final class LeaderCachedKv implements KvBackend {
  /** How many finished writes the log keeps, for reads to tell which keys changed under them. */
  static final int RECENT_WRITES = 4096;

  private final KvBackend inner;
  private final List<byte[]> cachedPrefixes;
  private final Map<ByteBuffer, KeyValue> cache = new ConcurrentHashMap<>();
  private final Object writes = new Object();
  private long writeCount; // guarded by writes
  /** The last {@link #RECENT_WRITES} writes, oldest first. */
  private final ArrayDeque<Written> recentWrites = new ArrayDeque<>(); // guarded by writes
  private volatile boolean enabled;

  /**
   * A finished write: the {@code writeCount} it brought about and the keys it may have changed,
   * null for any key (a range delete, or the cache emptied).
   */
  private record Written(long count, List<byte[]> keys) {}

  /** @param cachedPrefixes the key prefixes whose exact-key reads are cached */
  public LeaderCachedKv(KvBackend inner, List<byte[]> cachedPrefixes) {
    this.inner = inner;
    this.cachedPrefixes = List.copyOf(cachedPrefixes);
  }

  /** Loads every key under the cached prefixes and starts answering reads from memory. */
  public void enable() {
    disable();
    long before = writesSoFar();
    List<KeyValue> loaded = new ArrayList<>();
    for (byte[] prefix : cachedPrefixes) {
      loaded.addAll(inner.range(RangeRequest.prefix(prefix)).kvs());
    }
    synchronized (writes) {
      if (writeCount == before) {
        loaded.forEach(kv -> cache.put(ByteBuffer.wrap(kv.key()), kv));
      }
      enabled = true;
    }
  }

  /** Stops caching and forgets what was cached. */
  public void disable() {
    synchronized (writes) {
      enabled = false;
      cache.clear();
      logWrite(null);
    }
  }

  public boolean isEnabled() {
    return enabled;
  }

  /** Whether exact-key reads of {@code key} are cached while enabled. */
  public boolean isCached(byte[] key) {
    for (byte[] prefix : cachedPrefixes) {
      if (key.length >= prefix.length
          && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code range} selects any key under a cached prefix. */
  public boolean overlapsCached(RangeRequest range) {
    if (range.isSingleKey()) {
      return isCached(range.key());
    }
    for (byte[] prefix : cachedPrefixes) {
      byte[] prefixEnd = Bytes.prefixEnd(prefix);
      boolean startsBeforePrefixEnds = Bytes.ORDER.compare(range.key(), prefixEnd) < 0;
      boolean endsAfterPrefixStarts = range.isOpenEnded()
          || Bytes.ORDER.compare(prefix, range.rangeEnd()) < 0;
      if (startsBeforePrefixEnds && endsAfterPrefixStarts) {
        return true;
      }
    }
    return false;
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
    if (request.isSingleKey() && cacheable(request.key())) {
      return new RangeResponse(get(request.key()).map(kv -> request.keysOnly()
          ? new KeyValue(kv.key(), Bytes.EMPTY, kv.version(), kv.modRevision()) : kv)
          .stream().toList(), false);
    }
    return inner.range(request);
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    if (!cacheable(key)) {
      return inner.get(key);
    }
    KeyValue cached = cache.get(ByteBuffer.wrap(key));
    if (cached != null) {
      return Optional.of(cached);
    }
    long before = writesSoFar();
    Optional<KeyValue> read = inner.get(key);
    read.ifPresent(kv -> keepIfUnchanged(List.of(kv), before));
    return read;
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    if (!enabled || !keys.stream().allMatch(this::isCached)) {
      return inner.batchGet(keys);
    }
    List<KeyValue> found = new ArrayList<>();
    List<byte[]> missing = new ArrayList<>();
    for (byte[] key : keys) {
      KeyValue cached = cache.get(ByteBuffer.wrap(key));
      if (cached != null) {
        found.add(cached);
      } else {
        missing.add(key);
      }
    }
    if (!missing.isEmpty()) {
      long before = writesSoFar();
      List<KeyValue> read = inner.batchGet(missing);
      keepIfUnchanged(read, before);
      found.addAll(read);
    }
    return found;
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    return writing(List.of(key), () -> inner.put(key, value));
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    return writing(kvs.stream().map(KeyValue::key).toList(), () -> inner.batchPut(kvs, prevKv));
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    return writing(keys, () -> inner.batchDelete(keys, prevKv));
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    return writing(null, () -> inner.deleteRange(request, prevKv));
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    return writing(List.of(key), () -> inner.compareAndPut(key, expect, value));
  }

  @Override
  public TxnResponse txn(Txn txn) {
    long before = writesSoFar();
    TxnResponse response = null;
    try {
      response = inner.txn(txn);
      return response;
    } finally {
      forget(keysWritten(txn), created(txn, response), before);
    }
  }

  // ---- asynchronous forms: reads from the cache when they can, writes drop what they touched

  @Override
  public CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    if (request.isSingleKey() && cacheable(request.key())) {
      // Never the synchronous read: callers answer on transport threads, which must not wait.
      return getAsync(request.key()).thenApply(found -> new RangeResponse(found
          .map(kv -> request.keysOnly()
              ? new KeyValue(kv.key(), Bytes.EMPTY, kv.version(), kv.modRevision()) : kv)
          .stream().toList(), false));
    }
    return inner.rangeAsync(request);
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    if (!cacheable(key)) {
      return inner.getAsync(key);
    }
    KeyValue cached = cache.get(ByteBuffer.wrap(key));
    if (cached != null) {
      return CompletableFuture.completedFuture(Optional.of(cached));
    }
    long before = writesSoFar();
    return inner.getAsync(key).thenApply(read -> {
      read.ifPresent(kv -> keepIfUnchanged(List.of(kv), before));
      return read;
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    if (!enabled || !keys.stream().allMatch(this::isCached)) {
      return inner.batchGetAsync(keys);
    }
    List<KeyValue> found = new ArrayList<>();
    List<byte[]> missing = new ArrayList<>();
    for (byte[] key : keys) {
      KeyValue cached = cache.get(ByteBuffer.wrap(key));
      if (cached != null) {
        found.add(cached);
      } else {
        missing.add(key);
      }
    }
    if (missing.isEmpty()) {
      return CompletableFuture.completedFuture(found);
    }
    long before = writesSoFar();
    return inner.batchGetAsync(missing).thenApply(read -> {
      keepIfUnchanged(read, before);
      found.addAll(read);
      return found;
    });
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return writingAsync(List.of(key), () -> inner.putAsync(key, value));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return writingAsync(kvs.stream().map(KeyValue::key).toList(),
        () -> inner.batchPutAsync(kvs, prevKv));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return writingAsync(keys, () -> inner.batchDeleteAsync(keys, prevKv));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return writingAsync(null, () -> inner.deleteRangeAsync(request, prevKv));
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return writingAsync(List.of(key), () -> inner.compareAndPutAsync(key, expect, value));
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    long before = writesSoFar();
    return inner.txnAsync(txn).whenComplete(
        (response, failure) -> forget(keysWritten(txn), created(txn, response), before));
  }

  @Override
  public void close() {
    disable();
    inner.close();
  }

  private boolean cacheable(byte[] key) {
    return enabled && isCached(key);
  }

  private long writesSoFar() {
    synchronized (writes) {
      return writeCount;
    }
  }

  /** Caches what a read found, but for keys a write finished with since the read started. */
  private void keepIfUnchanged(List<KeyValue> read, long writesBefore) {
    synchronized (writes) {
      keepUnchanged(read, writesBefore, writeCount);
    }
  }

  /**
   * Caches the entries no write logged after {@code writesBefore} and up to {@code upTo}
   * changed; nothing when the log does not reach back that far or such a write may have
   * changed any key.
   */
  private void keepUnchanged(List<KeyValue> entries, long writesBefore, long upTo) {
    if (!enabled || entries.isEmpty()) {
      return;
    }
    Set<ByteBuffer> changed = new HashSet<>();
    if (upTo > writesBefore) {
      Written oldest = recentWrites.peekFirst();
      if (oldest == null || oldest.count() > writesBefore + 1) {
        return; // the log no longer reaches back
      }
      for (Iterator<Written> newest = recentWrites.descendingIterator(); newest.hasNext(); ) {
        Written written = newest.next();
        if (written.count() <= writesBefore) {
          break;
        }
        if (written.count() > upTo) {
          continue;
        }
        if (written.keys() == null) {
          return;
        }
        for (byte[] key : written.keys()) {
          changed.add(ByteBuffer.wrap(key));
        }
      }
    }
    for (KeyValue kv : entries) {
      ByteBuffer key = ByteBuffer.wrap(kv.key());
      if (!changed.contains(key)) {
        cache.put(key, kv);
      }
    }
  }

  /**
   * What a transaction that succeeded created under a cached prefix: its puts of keys it
   * compared absent, each now at version 1 and the transaction's revision (a store that does
   * not report revisions: none). Such a key was written by no one else between the compare and
   * the put, so the value put is the value stored.
   */
  private List<KeyValue> created(Txn txn, TxnResponse response) {
    if (response == null || !response.succeeded() || response.revision() <= 0 || !enabled) {
      return List.of();
    }
    Set<ByteBuffer> absent = new HashSet<>();
    for (Compare compare : txn.compares()) {
      if (compare.equals(Compare.absent(compare.key()))) {
        absent.add(ByteBuffer.wrap(compare.key()));
      }
    }
    List<KeyValue> created = new ArrayList<>();
    for (TxnOp op : txn.success()) {
      if (op instanceof TxnOp.Put put && absent.contains(ByteBuffer.wrap(put.key()))
          && isCached(put.key())) {
        created.add(new KeyValue(put.key(), put.value(), 1, response.revision()));
      }
    }
    return created;
  }

  /** @param touched the keys the write may change, or null when it may change any */
  private <T> T writing(List<byte[]> touched, Supplier<T> write) {
    try {
      return write.get();
    } finally {
      forget(touched);
    }
  }

  private <T> CompletableFuture<T> writingAsync(List<byte[]> touched,
      Supplier<CompletableFuture<T>> write) {
    return write.get().whenComplete((result, failure) -> forget(touched));
  }

  private void forget(List<byte[]> touched) {
    forget(touched, List.of(), 0);
  }

  /**
   * Drops what a finished write touched; then caches what it {@code created} (see {@link
   * #created}) unless another write that finished since this one started touched it too.
   */
  private void forget(List<byte[]> touched, List<KeyValue> created, long writesBefore) {
    synchronized (writes) {
      logWrite(touched);
      if (touched == null) {
        cache.clear();
      } else {
        touched.forEach(key -> cache.remove(ByteBuffer.wrap(key)));
      }
      keepUnchanged(created, writesBefore, writeCount - 1);
    }
  }

  /** Counts a finished write and logs the keys it may have changed (null: any). */
  private void logWrite(List<byte[]> touched) {
    writeCount++;
    recentWrites.addLast(new Written(writeCount, touched));
    if (recentWrites.size() > RECENT_WRITES) {
      recentWrites.pollFirst();
    }
  }

  private static List<byte[]> keysWritten(Txn txn) {
    List<byte[]> keys = new ArrayList<>();
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      for (TxnOp op : branch) {
        if (op instanceof TxnOp.Put put) {
          keys.add(put.key());
        } else if (op instanceof TxnOp.Delete delete) {
          keys.add(delete.key());
        }
      }
    }
    return keys;
  }
}
