package io.metasrv.kv;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A view of another backend under a key prefix ({@code store_key_prefix}), so that several
 * clusters can share one store.
 *
 * <p>Every key gets the prefix on the way in and loses it on the way out. An open-ended range
 * (range end {@code [0]}, which includes "all keys") ends at the prefix's end instead of the end
 * of the keyspace, so a chroot never reads, counts or deletes a key outside its prefix, nor the
 * bare prefix itself (that would be an empty key here).
 *
 * <p>The asynchronous forms prefix and strip exactly as the synchronous ones, around the wrapped
 * store's asynchronous forms.
 *
 * <p>Requests are checked here before the prefix is added: an empty key would otherwise become
 * the valid key "prefix", and refusals should name the caller's key, not the stored one.
 */
public final class ChrootKv implements KvBackend {
  private final byte[] prefix;
  private final byte[] prefixEnd;
  private final KvBackend inner;

  private ChrootKv(byte[] prefix, KvBackend inner) {
    this.prefix = prefix.clone();
    this.prefixEnd = Bytes.prefixEnd(prefix);
    this.inner = inner;
  }

  /** {@code inner} seen under {@code prefix}; {@code inner} itself when the prefix is empty. */
  public static KvBackend wrap(byte[] prefix, KvBackend inner) {
    return prefix.length == 0 ? inner : new ChrootKv(prefix, inner);
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
    KvLimits.checkRange(request);
    RangeResponse response = inner.range(toInner(request));
    return new RangeResponse(strip(response.kvs()), response.more());
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    KvLimits.checkKey(key);
    return inner.get(prefixed(key)).map(this::strip);
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    limits().checkPut(key, value);
    return inner.put(prefixed(key), value).map(this::strip);
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    KvLimits.checkKeys(keys);
    return strip(inner.batchGet(keys.stream().map(this::prefixed).toList()));
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    limits().checkBatchPut(kvs);
    List<KeyValue> prefixedKvs =
        kvs.stream().map(kv -> KeyValue.of(prefixed(kv.key()), kv.value())).toList();
    return strip(inner.batchPut(prefixedKvs, prevKv));
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    KvLimits.checkKeys(keys);
    return strip(inner.batchDelete(keys.stream().map(this::prefixed).toList(), prevKv));
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    KvLimits.checkRange(request);
    DeleteRangeResponse response = inner.deleteRange(toInner(request), prevKv);
    return new DeleteRangeResponse(response.deleted(), strip(response.prevKvs()));
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    limits().checkPut(key, value);
    CompareAndPutResponse response = inner.compareAndPut(prefixed(key), expect, value);
    return new CompareAndPutResponse(response.success(), response.prev().map(this::strip));
  }

  @Override
  public TxnResponse txn(Txn txn) {
    limits().checkTxn(txn);
    TxnResponse response = inner.txn(toInner(txn));
    return new TxnResponse(response.succeeded(),
        response.responses().stream().map(this::strip).toList(), response.revision());
  }

  // ---- asynchronous forms: the same checks, prefixes and stripping around the inner async call

  @Override
  public CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    return KvFutures.start(() -> {
      KvLimits.checkRange(request);
      return inner.rangeAsync(toInner(request))
          .thenApply(response -> new RangeResponse(strip(response.kvs()), response.more()));
    });
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    return KvFutures.start(() -> {
      KvLimits.checkKey(key);
      return inner.getAsync(prefixed(key)).thenApply(found -> found.map(this::strip));
    });
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return KvFutures.start(() -> {
      limits().checkPut(key, value);
      return inner.putAsync(prefixed(key), value).thenApply(prev -> prev.map(this::strip));
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    return KvFutures.start(() -> {
      KvLimits.checkKeys(keys);
      return inner.batchGetAsync(keys.stream().map(this::prefixed).toList())
          .thenApply(this::strip);
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return KvFutures.start(() -> {
      limits().checkBatchPut(kvs);
      List<KeyValue> prefixedKvs =
          kvs.stream().map(kv -> KeyValue.of(prefixed(kv.key()), kv.value())).toList();
      return inner.batchPutAsync(prefixedKvs, prevKv).thenApply(this::strip);
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return KvFutures.start(() -> {
      KvLimits.checkKeys(keys);
      return inner.batchDeleteAsync(keys.stream().map(this::prefixed).toList(), prevKv)
          .thenApply(this::strip);
    });
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return KvFutures.start(() -> {
      KvLimits.checkRange(request);
      return inner.deleteRangeAsync(toInner(request), prevKv).thenApply(response ->
          new DeleteRangeResponse(response.deleted(), strip(response.prevKvs())));
    });
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return KvFutures.start(() -> {
      limits().checkPut(key, value);
      return inner.compareAndPutAsync(prefixed(key), expect, value).thenApply(response ->
          new CompareAndPutResponse(response.success(), response.prev().map(this::strip)));
    });
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    return KvFutures.start(() -> {
      limits().checkTxn(txn);
      return inner.txnAsync(toInner(txn)).thenApply(response ->
          new TxnResponse(response.succeeded(),
              response.responses().stream().map(this::strip).toList(), response.revision()));
    });
  }

  /** Closes the wrapped backend: a chroot is its only user. */
  @Override
  public void close() {
    inner.close();
  }

  private RangeRequest toInner(RangeRequest request) {
    byte[] end;
    if (request.isSingleKey()) {
      end = Bytes.EMPTY;
    } else if (request.isOpenEnded()) {
      end = prefixEnd;
    } else {
      end = prefixed(request.rangeEnd());
    }
    return new RangeRequest(prefixed(request.key()), end, request.limit(), request.keysOnly());
  }

  private Txn toInner(Txn txn) {
    return new Txn(
        txn.compares().stream()
            .map(c -> new Compare(prefixed(c.key()), c.target(), c.op(), c.value(), c.operand()))
            .toList(),
        txn.success().stream().map(this::prefixed).toList(),
        txn.failure().stream().map(this::prefixed).toList());
  }

  private byte[] prefixed(byte[] key) {
    return Bytes.concat(prefix, key);
  }

  private TxnOp prefixed(TxnOp op) {
    if (op instanceof TxnOp.Put put) {
      return TxnOp.put(prefixed(put.key()), put.value());
    }
    if (op instanceof TxnOp.Get) {
      return TxnOp.get(prefixed(op.key()));
    }
    return TxnOp.delete(prefixed(op.key()));
  }

  private KeyValue strip(KeyValue kv) {
    byte[] key = Arrays.copyOfRange(kv.key(), prefix.length, kv.key().length);
    return new KeyValue(key, kv.value(), kv.version(), kv.modRevision());
  }

  private List<KeyValue> strip(List<KeyValue> kvs) {
    return kvs.stream().map(this::strip).toList();
  }

  private TxnOpResponse strip(TxnOpResponse response) {
    if (response instanceof TxnOpResponse.Put put) {
      return new TxnOpResponse.Put(put.prev().map(this::strip));
    }
    if (response instanceof TxnOpResponse.Get get) {
      return new TxnOpResponse.Get(get.kv().map(this::strip));
    }
    return new TxnOpResponse.Delete(((TxnOpResponse.Delete) response).prev().map(this::strip));
  }
}
