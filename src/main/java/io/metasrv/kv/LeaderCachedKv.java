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
 * <p>A key under a cached prefix that is not cached is also answered from memory, as absent,
 * when the cache knows it is not stored: the load on enable saw every stored key under the
 * cached prefixes, and no write since may have stored it ({@link #unknown}). So CREATE TABLE's
 * check that the name is free reads nothing from the store.
 *
 * <p>Every write through this backend goes to the store first and then drops the keys it may
 * have changed from the cache (a range delete over a cached prefix drops everything, and the
 * cache stops answering absent keys until the next enable), whether it succeeded or not. A
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
  /**
   * At most this many {@link #unknown} keys; past it the cache stops answering absent keys (it
   * would otherwise keep the names of every table dropped in a long term).
   */
  static final int MAX_UNKNOWN_KEYS = 100_000;
  private static final int LOAD_ATTEMPTS = 3;

  private final KvBackend inner;
  private final List<byte[]> cachedPrefixes;
  private final Map<ByteBuffer, KeyValue> cache = new ConcurrentHashMap<>();
  private final Object writes = new Object();
  private long writeCount; // guarded by writes
  /** The last {@link #RECENT_WRITES} writes, oldest first. */
  private final ArrayDeque<Written> recentWrites = new ArrayDeque<>(); // guarded by writes
  private volatile boolean enabled;
  /**
   * Whether every key stored under the cached prefixes is cached or {@link #unknown}: set by a
   * load on enable that no write raced with, cleared by a range delete over a cached prefix.
   */
  private volatile boolean complete;
  /**
   * Keys under the cached prefixes, not cached, that may be stored: a write touched them (its
   * outcome, or the version it left, is not known) and no read or write since told. While
   * {@link #complete}, a key neither cached nor here is not stored. A key joins before it leaves
   * the cache, so a reader never finds it in neither place while it is stored. Never emptied
   * while in use: {@link #forgetCompleteness} replaces it after clearing {@link #complete}.
   */
  private volatile Set<ByteBuffer> unknown = ConcurrentHashMap.newKeySet();

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

  /**
   * Loads every key under the cached prefixes and starts answering reads from memory. A load
   * that a write of a cached key raced with is done again, {@value #LOAD_ATTEMPTS} times at
   * most; after that the cache starts empty and only reads fill it.
   */
  public void enable() {
    disable();
    for (int attempt = 1; ; attempt++) {
      long before = writesSoFar();
      List<KeyValue> loaded = new ArrayList<>();
      for (byte[] prefix : cachedPrefixes) {
        loaded.addAll(inner.range(RangeRequest.prefix(prefix)).kvs());
      }
      synchronized (writes) {
        boolean raced = cachedKeyWrittenSince(before);
        if (!raced) {
          loaded.forEach(kv -> cache.put(ByteBuffer.wrap(kv.key()), kv));
          complete = true;
        }
        if (!raced || attempt == LOAD_ATTEMPTS) {
          enabled = true;
          return;
        }
      }
    }
  }

  /** Whether a write that finished after {@code writesBefore} may have changed a cached key. */
  private boolean cachedKeyWrittenSince(long writesBefore) {
    if (writeCount == writesBefore) {
      return false;
    }
    Written oldest = recentWrites.peekFirst();
    if (oldest == null || oldest.count() > writesBefore + 1) {
      return true;
    }
    for (Written written : recentWrites) {
      if (written.count() > writesBefore
          && (written.keys() == null || written.keys().stream().anyMatch(this::isCached))) {
        return true;
      }
    }
    return false;
  }

  /** Stops caching and forgets what was cached. */
  public void disable() {
    synchronized (writes) {
      enabled = false;
      forgetCompleteness();
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
    if (knownAbsent(key)) {
      return Optional.empty();
    }
    long before = writesSoFar();
    Optional<KeyValue> read = inner.get(key);
    keepIfUnchanged(List.of(key), read.stream().toList(), before);
    return read;
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    if (!enabled || !keys.stream().allMatch(this::isCached)) {
      return inner.batchGet(keys);
    }
    List<KeyValue> found = new ArrayList<>();
    List<byte[]> missing = fromMemory(keys, found);
    if (!missing.isEmpty()) {
      long before = writesSoFar();
      List<KeyValue> read = inner.batchGet(missing);
      keepIfUnchanged(missing, read, before);
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
    long before = writesSoFar();
    List<byte[]> deleted = List.of();
    try {
      List<KeyValue> response = inner.batchDelete(keys, prevKv);
      deleted = keys;
      return response;
    } finally {
      forget(keys, List.of(), deleted, before);
    }
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    return writing(rangeTouched(request), () -> inner.deleteRange(request, prevKv));
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
      forget(keysWritten(txn), created(txn, response), deleted(txn, response), before);
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
    if (knownAbsent(key)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    long before = writesSoFar();
    return inner.getAsync(key).thenApply(read -> {
      keepIfUnchanged(List.of(key), read.stream().toList(), before);
      return read;
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    if (!enabled || !keys.stream().allMatch(this::isCached)) {
      return inner.batchGetAsync(keys);
    }
    List<KeyValue> found = new ArrayList<>();
    List<byte[]> missing = fromMemory(keys, found);
    if (missing.isEmpty()) {
      return CompletableFuture.completedFuture(found);
    }
    long before = writesSoFar();
    return inner.batchGetAsync(missing).thenApply(read -> {
      keepIfUnchanged(missing, read, before);
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
    long before = writesSoFar();
    return inner.batchDeleteAsync(keys, prevKv).whenComplete((response, failure) ->
        forget(keys, List.of(), failure == null ? keys : List.of(), before));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return writingAsync(rangeTouched(request), () -> inner.deleteRangeAsync(request, prevKv));
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return writingAsync(List.of(key), () -> inner.compareAndPutAsync(key, expect, value));
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    long before = writesSoFar();
    return inner.txnAsync(txn).whenComplete((response, failure) ->
        forget(keysWritten(txn), created(txn, response), deleted(txn, response), before));
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

  /**
   * Adds to {@code found} what the cache holds of {@code keys}; returns the others, but for
   * those known not to be stored: the keys to read from the store.
   */
  private List<byte[]> fromMemory(List<byte[]> keys, List<KeyValue> found) {
    List<byte[]> missing = new ArrayList<>();
    for (byte[] key : keys) {
      KeyValue cached = cache.get(ByteBuffer.wrap(key));
      if (cached != null) {
        found.add(cached);
      } else if (!knownAbsent(key)) {
        missing.add(key);
      }
    }
    return missing;
  }

  /**
   * Whether {@code key}, not cached, is known not to be stored (see {@link #unknown}). Read
   * after the cache: a write adds a key to {@link #unknown} before it drops it from the cache.
   */
  private boolean knownAbsent(byte[] key) {
    Set<ByteBuffer> mayBeStored = unknown; // before complete: see forgetCompleteness
    return complete && !mayBeStored.contains(ByteBuffer.wrap(key));
  }

  /**
   * After a read of {@code keys} that found {@code found}: caches what it found and learns that
   * the others are not stored, but for keys a write finished with since the read started.
   */
  private void keepIfUnchanged(List<byte[]> keys, List<KeyValue> found, long writesBefore) {
    List<byte[]> absent = keys;
    if (!found.isEmpty()) {
      Set<ByteBuffer> present = new HashSet<>();
      found.forEach(kv -> present.add(ByteBuffer.wrap(kv.key())));
      absent = keys.stream().filter(key -> !present.contains(ByteBuffer.wrap(key))).toList();
    }
    synchronized (writes) {
      keepUnchanged(found, absent, writesBefore, writeCount);
    }
  }

  /**
   * Caches the {@code entries} and learns that the {@code absent} keys are not stored, for the
   * keys no write logged after {@code writesBefore} and up to {@code upTo} changed; nothing when
   * the log does not reach back that far or such a write may have changed any key.
   */
  private void keepUnchanged(List<KeyValue> entries, List<byte[]> absent, long writesBefore,
      long upTo) {
    if (!enabled || (entries.isEmpty() && absent.isEmpty())) {
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
        unknown.remove(key);
      }
    }
    for (byte[] key : absent) {
      ByteBuffer wrapped = ByteBuffer.wrap(key);
      if (!changed.contains(wrapped)) {
        unknown.remove(wrapped);
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

  /**
   * What a transaction that ran deleted: the deletes of the branch that ran (a store that
   * answered is sure of which ran).
   */
  private static List<byte[]> deleted(Txn txn, TxnResponse response) {
    if (response == null) {
      return List.of();
    }
    List<byte[]> deleted = new ArrayList<>();
    for (TxnOp op : response.succeeded() ? txn.success() : txn.failure()) {
      if (op instanceof TxnOp.Delete delete) {
        deleted.add(delete.key());
      }
    }
    return deleted;
  }

  /** The keys a range delete may change: none of the cache's, or any (null). */
  private List<byte[]> rangeTouched(RangeRequest request) {
    return overlapsCached(request) ? null : List.of();
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
    forget(touched, List.of(), List.of(), 0);
  }

  /**
   * Drops what a finished write touched, which becomes {@link #unknown}; then caches what it
   * {@code created} (see {@link #created}) and learns that what it {@code deleted} is not stored,
   * unless another write that finished since this one started touched it too.
   */
  private void forget(List<byte[]> touched, List<KeyValue> created, List<byte[]> deleted,
      long writesBefore) {
    synchronized (writes) {
      logWrite(touched);
      if (touched == null) {
        forgetCompleteness();
        cache.clear();
      } else {
        for (byte[] key : touched) {
          ByteBuffer wrapped = ByteBuffer.wrap(key);
          if (complete && isCached(key)) {
            unknown.add(wrapped);
          }
          cache.remove(wrapped);
        }
      }
      keepUnchanged(created, deleted, writesBefore, writeCount - 1);
      if (unknown.size() > MAX_UNKNOWN_KEYS) {
        forgetCompleteness();
      }
    }
  }

  /**
   * Stops answering absent keys from memory; called under {@code writes}. A reader reads {@link
   * #unknown} before {@link #complete}: one that finds the new, empty set also finds {@code
   * complete} cleared, and one that finds the old set asks it, which still holds every key it
   * held.
   */
  private void forgetCompleteness() {
    complete = false;
    unknown = ConcurrentHashMap.newKeySet();
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
