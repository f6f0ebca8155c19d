package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The contract through the metering decorator, and what it records. */
class MeteredKvTest extends KvBackendContractTest {
  private final MockClock clock = new MockClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    return new MeteredKv(new MemoryKv(limits), registry);
  }

  @Test
  void everyOperationIsCountedUnderItsOwnName() {
    kv.range(RangeRequest.all());
    kv.get(utf8("k"));
    kv.put(utf8("k"), utf8("v"));
    kv.batchGet(List.of(utf8("k")));
    kv.batchPut(List.of(kv("a", "v")), false);
    kv.batchDelete(List.of(utf8("a")), false);
    kv.deleteRange(RangeRequest.single(utf8("a")), false);
    kv.compareAndPut(utf8("k"), utf8("wrong"), utf8("v2"));
    kv.txn(Txn.of(List.of(TxnOp.get(utf8("k")))));

    for (String op : List.of("range", "get", "put", "batch_get", "batch_put", "batch_delete",
        "delete_range", "compare_and_put", "txn")) {
      assertThat(timer(op, "success").count()).as(op).isEqualTo(1);
      assertThat(timer(op, "error").count()).as(op).isZero();
    }
  }

  @Test
  void asyncOperationsAreCountedUnderTheSameNamesWhenTheyComplete() {
    done(kv.rangeAsync(RangeRequest.all()));
    done(kv.getAsync(utf8("k")));
    done(kv.putAsync(utf8("k"), utf8("v")));
    done(kv.batchGetAsync(List.of(utf8("k"))));
    done(kv.batchPutAsync(List.of(kv("a", "v")), false));
    done(kv.batchDeleteAsync(List.of(utf8("a")), false));
    done(kv.deleteRangeAsync(RangeRequest.single(utf8("a")), false));
    done(kv.compareAndPutAsync(utf8("k"), utf8("wrong"), utf8("v2")));
    done(kv.txnAsync(Txn.of(List.of(TxnOp.get(utf8("k"))))));

    for (String op : List.of("range", "get", "put", "batch_get", "batch_put", "batch_delete",
        "delete_range", "compare_and_put", "txn")) {
      assertThat(timer(op, "success").count()).as(op).isEqualTo(1);
      assertThat(timer(op, "error").count()).as(op).isZero();
    }
  }

  @Test
  void aFailedAsyncCallIsAnErrorAndItsExceptionPassesThrough() {
    assertThat(failure(kv.putAsync(Bytes.EMPTY, utf8("v")))).isInstanceOf(InvalidKeyException.class);
    assertThat(timer("put", "error").count()).isEqualTo(1);
    assertThat(timer("put", "success").count()).isZero();
  }

  @Test
  void anAsyncCallIsTimedUntilItsFutureCompletes() {
    CompletableFuture<Optional<KeyValue>> answer = new CompletableFuture<>();
    KvBackend answersLater = (KvBackend) Proxy.newProxyInstance(
        KvBackend.class.getClassLoader(), new Class<?>[] {KvBackend.class},
        (proxy, method, args) -> method.getName().equals("putAsync")
            ? answer
            : method.invoke(new MemoryKv(LIMITS), args));
    KvBackend metered = new MeteredKv(answersLater, registry);

    CompletableFuture<Optional<KeyValue>> put = metered.putAsync(utf8("k"), utf8("v"));
    clock.add(Duration.ofMillis(30));
    assertThat(put).isNotDone();
    assertThat(timer("put", "success").count()).isZero();
    answer.complete(Optional.empty());

    assertThat(done(put)).isEmpty();
    assertThat(timer("put", "success").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(30);
  }

  @Test
  void aThrowingCallIsAnErrorAndTheExceptionPassesThrough() {
    assertThatThrownBy(() -> kv.put(Bytes.EMPTY, utf8("v"))).isInstanceOf(InvalidKeyException.class);
    assertThat(timer("put", "error").count()).isEqualTo(1);
    assertThat(timer("put", "success").count()).isZero();
  }

  @Test
  void theTimeSpentInTheBackendIsRecorded() {
    KvBackend memory = new MemoryKv(LIMITS);
    KvBackend taking50ms = (KvBackend) Proxy.newProxyInstance(
        KvBackend.class.getClassLoader(), new Class<?>[] {KvBackend.class},
        (proxy, method, args) -> {
          if (method.getName().equals("put")) {
            clock.add(Duration.ofMillis(50));
          }
          return method.invoke(memory, args);
        });
    KvBackend metered = new MeteredKv(taking50ms, registry);

    metered.put(utf8("k"), utf8("v"));

    assertThat(timer("put", "success").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);
  }

  @Test
  void prometheusShowsOneSeriesPerOperationBackendAndOutcome() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    KvBackend metered = new MeteredKv(new MemoryKv(LIMITS), prometheus);
    metered.put(utf8("k"), utf8("v"));

    assertThat(prometheus.scrape())
        .contains("# TYPE metasrv_kv_operation_seconds summary")
        .containsPattern("metasrv_kv_operation_seconds_count\\{backend=\"memory\",op=\"put\","
            + "outcome=\"success\"} 1")
        .containsPattern("metasrv_kv_operation_seconds_count\\{backend=\"memory\",op=\"txn\","
            + "outcome=\"error\"} 0");
  }

  private Timer timer(String op, String outcome) {
    return registry.get(MeteredKv.METER)
        .tags("op", op, "backend", "memory", "outcome", outcome)
        .timer();
  }
}
