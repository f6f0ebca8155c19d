package io.metasrv.testing;

import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.DeleteRangeResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.RangeResponse;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnResponse;
import java.util.List;
import java.util.Optional;

/**
 * A store that passes every call to {@code delegate}: a test's store that holds or fails some
 * calls overrides just those.
 */
public abstract class ForwardingKv implements KvBackend {
  protected final KvBackend delegate;

  protected ForwardingKv(KvBackend delegate) {
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return "forwarding " + delegate.name();
  }

  @Override
  public KvLimits limits() {
    return delegate.limits();
  }

  @Override
  public RangeResponse range(RangeRequest request) {
    return delegate.range(request);
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    return delegate.get(key);
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    return delegate.put(key, value);
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    return delegate.batchGet(keys);
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    return delegate.batchPut(kvs, prevKv);
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    return delegate.batchDelete(keys, prevKv);
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    return delegate.deleteRange(request, prevKv);
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    return delegate.compareAndPut(key, expect, value);
  }

  @Override
  public TxnResponse txn(Txn txn) {
    return delegate.txn(txn);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
