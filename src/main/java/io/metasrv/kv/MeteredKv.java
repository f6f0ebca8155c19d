package io.metasrv.kv;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Times every call to another backend in the timer {@value #METER} (Prometheus:
 * {@code metasrv_kv_operation_seconds}), tagged with the operation, the backend's name and
 * whether the call returned ({@code success}) or threw ({@code error}). A compare that does not
 * hold is a success: the call did its job.
 *
 * <p>The asynchronous forms are timed the same way, under the same timers: from the call until
 * the future completes, a success when it completes with a value, an error when it fails.
 *
 * <p>All timers are registered up front, so error series exist at zero before the first error
 * and a rate over them never needs {@code absent()}.
 */
public final class MeteredKv implements KvBackend {
  public static final String METER = "metasrv.kv.operation";

  /** The operations of {@link KvBackend}, by their {@code op} tag. */
  enum Operation {
    RANGE("range"),
    GET("get"),
    PUT("put"),
    BATCH_GET("batch_get"),
    BATCH_PUT("batch_put"),
    BATCH_DELETE("batch_delete"),
    DELETE_RANGE("delete_range"),
    COMPARE_AND_PUT("compare_and_put"),
    TXN("txn");

    final String tag;

    Operation(String tag) {
      this.tag = tag;
    }
  }

  private final KvBackend inner;
  private final Clock clock;
  private final Map<Operation, Timer> successes = new EnumMap<>(Operation.class);
  private final Map<Operation, Timer> errors = new EnumMap<>(Operation.class);

  public MeteredKv(KvBackend inner, MeterRegistry registry) {
    this.inner = inner;
    this.clock = registry.config().clock();
    for (Operation op : Operation.values()) {
      successes.put(op, timer(registry, op, "success"));
      errors.put(op, timer(registry, op, "error"));
    }
  }

  private Timer timer(MeterRegistry registry, Operation op, String outcome) {
    return Timer.builder(METER)
        .description("Time of metadata store operations")
        .tag("op", op.tag)
        .tag("backend", inner.name())
        .tag("outcome", outcome)
        .register(registry);
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
    return timed(Operation.RANGE, () -> inner.range(request));
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    return timed(Operation.GET, () -> inner.get(key));
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    return timed(Operation.PUT, () -> inner.put(key, value));
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    return timed(Operation.BATCH_GET, () -> inner.batchGet(keys));
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    return timed(Operation.BATCH_PUT, () -> inner.batchPut(kvs, prevKv));
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    return timed(Operation.BATCH_DELETE, () -> inner.batchDelete(keys, prevKv));
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    return timed(Operation.DELETE_RANGE, () -> inner.deleteRange(request, prevKv));
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    return timed(Operation.COMPARE_AND_PUT, () -> inner.compareAndPut(key, expect, value));
  }

  @Override
  public TxnResponse txn(Txn txn) {
    return timed(Operation.TXN, () -> inner.txn(txn));
  }

  // ---- asynchronous forms: timed until the future completes

  @Override
  public CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    return timedAsync(Operation.RANGE, () -> inner.rangeAsync(request));
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    return timedAsync(Operation.GET, () -> inner.getAsync(key));
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return timedAsync(Operation.PUT, () -> inner.putAsync(key, value));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    return timedAsync(Operation.BATCH_GET, () -> inner.batchGetAsync(keys));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return timedAsync(Operation.BATCH_PUT, () -> inner.batchPutAsync(kvs, prevKv));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return timedAsync(Operation.BATCH_DELETE, () -> inner.batchDeleteAsync(keys, prevKv));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return timedAsync(Operation.DELETE_RANGE, () -> inner.deleteRangeAsync(request, prevKv));
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return timedAsync(Operation.COMPARE_AND_PUT,
        () -> inner.compareAndPutAsync(key, expect, value));
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    return timedAsync(Operation.TXN, () -> inner.txnAsync(txn));
  }

  /** Closes the wrapped backend: the decorator is its only user. */
  @Override
  public void close() {
    inner.close();
  }

  private <T> T timed(Operation op, Supplier<T> call) {
    long start = clock.monotonicTime();
    try {
      T result = call.get();
      successes.get(op).record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
      return result;
    } catch (RuntimeException e) {
      errors.get(op).record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
      throw e;
    }
  }

  /**
   * Starts {@code call} and records its time once the future completes. The returned future
   * completes only after the time is recorded, with the same value or the same exception.
   */
  private <T> CompletableFuture<T> timedAsync(Operation op, Supplier<CompletableFuture<T>> call) {
    long start = clock.monotonicTime();
    CompletableFuture<T> started;
    try {
      started = call.get();
    } catch (RuntimeException e) { // an async method should not throw; count it all the same
      errors.get(op).record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    started.whenComplete((value, error) -> {
      long took = clock.monotonicTime() - start;
      if (error == null) {
        successes.get(op).record(took, TimeUnit.NANOSECONDS);
        result.complete(value);
      } else {
        errors.get(op).record(took, TimeUnit.NANOSECONDS);
        result.completeExceptionally(KvFutures.cause(error));
      }
    });
    return result;
  }
}
