package io.metasrv.fence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvBackendContractTest;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.TxnResponse;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A leader's fenced store behaves as any store while its epoch is current (the whole contract,
 * run under a chroot so the epoch key stays out of sight), and refuses every write once it is not.
 */
class FencedKvTest extends KvBackendContractTest {
  private static final byte[] K = Bytes.utf8("k");
  private static final byte[] V = Bytes.utf8("v");

  private final MemoryKv store = new MemoryKv(new KvLimits(16, 1024));
  private final AtomicLong fencedBy = new AtomicLong();
  private final FencedKv leader = new FencedKv(store, fencedBy::set);

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    FencedKv fenced = new FencedKv(new MemoryKv(limits), epoch -> { });
    fenced.acquire(0);
    return ChrootKv.wrap(Bytes.utf8("data/"), fenced);
  }

  /**
   * No: {@link FencedKv#deleteRange} reads the range's keys, then deletes them in fenced
   * transactions of at most {@code max_txn_ops} keys, so a key created in between survives it.
   */
  @Override
  protected boolean deletesARangeAtomically() {
    return false;
  }

  @Test
  void everyWriteCarriesTheEpochWhileItIsCurrent() {
    assertThat(leader.acquire(0)).isEqualTo(1);
    leader.put(K, V);
    assertThat(leader.compareAndPut(K, V, Bytes.utf8("w")).success()).isTrue();
    assertThat(leader.compareAndPut(K, V, Bytes.utf8("x")).success()).isFalse();
    assertThat(fencedBy.get()).as("a failed compare of the caller's is no fencing").isZero();
    assertThat(store.get(K).orElseThrow().value()).isEqualTo(Bytes.utf8("w"));
  }

  @Test
  void aNewerEpochFencesEveryKindOfWrite() {
    leader.acquire(3);
    leader.put(K, V);
    new LeaderEpoch(store).acquire(4); // another node became leader

    List<Consumer<FencedKv>> writes = List.of(
        kv -> kv.put(K, Bytes.utf8("stale")),
        kv -> kv.batchPut(List.of(KeyValue.of(K, Bytes.utf8("stale"))), false),
        kv -> kv.batchDelete(List.of(K), false),
        kv -> kv.deleteRange(RangeRequest.prefix(K), false),
        kv -> kv.compareAndPut(K, V, Bytes.utf8("stale")),
        kv -> kv.txn(Txn.of(List.of(TxnOp.put(K, Bytes.utf8("stale"))))),
        kv -> kv.txn(Txn.when(List.of(Compare.valueEquals(K, Bytes.utf8("no"))),
            List.of(TxnOp.delete(K)), List.of(TxnOp.get(K)))));
    for (Consumer<FencedKv> write : writes) {
      assertThatThrownBy(() -> write.accept(leader))
          .isInstanceOf(FencedException.class)
          .hasMessageContaining("epoch 3 is no longer current (current 4)");
    }
    assertThat(fencedBy.get()).isEqualTo(4);
    assertThat(store.get(K).orElseThrow().value()).isEqualTo(V);
  }

  @Test
  void asyncWritesAreFencedAsTheSynchronousOnes() {
    leader.acquire(3);
    assertThat(done(leader.putAsync(K, V))).isEmpty();
    new LeaderEpoch(store).acquire(4); // another node became leader

    List<Function<FencedKv, CompletableFuture<?>>> writes = List.of(
        kv -> kv.putAsync(K, Bytes.utf8("stale")),
        kv -> kv.batchPutAsync(List.of(KeyValue.of(K, Bytes.utf8("stale"))), false),
        kv -> kv.batchDeleteAsync(List.of(K), false),
        kv -> kv.deleteRangeAsync(RangeRequest.prefix(K), false),
        kv -> kv.compareAndPutAsync(K, V, Bytes.utf8("stale")),
        kv -> kv.txnAsync(Txn.of(List.of(TxnOp.put(K, Bytes.utf8("stale"))))));
    for (Function<FencedKv, CompletableFuture<?>> write : writes) {
      assertThat(failure(write.apply(leader)))
          .isInstanceOf(FencedException.class)
          .hasMessageContaining("epoch 3 is no longer current (current 4)");
    }
    assertThat(fencedBy.get()).isEqualTo(4);
    assertThat(done(leader.getAsync(K))).map(KeyValue::value).contains(V);
  }

  @Test
  void anAsyncWriteRunsOnAThreadOfTheFencedStoreNotTheCallers() {
    AtomicReference<String> wroteOn = new AtomicReference<>();
    KvBackend recording = (KvBackend) Proxy.newProxyInstance(KvBackend.class.getClassLoader(),
        new Class<?>[] {KvBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("txn")) {
            wroteOn.set(Thread.currentThread().getName());
          }
          try {
            return method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    FencedKv node = new FencedKv(recording, fencedBy::set);
    node.acquire(0);
    done(node.putAsync(K, V));
    assertThat(wroteOn.get()).startsWith("metasrv-fenced-write-");
    assertThat(store.get(K)).isPresent();
  }

  @Test
  void aNodeWithoutAnEpochCannotWriteEvenAnEmptyDelete() {
    assertThatThrownBy(() -> leader.put(K, V)).isInstanceOf(FencedException.class)
        .hasMessageContaining("not the leader");
    assertThatThrownBy(() -> leader.deleteRange(RangeRequest.prefix(K), false))
        .isInstanceOf(FencedException.class);
    leader.acquire(0);
    leader.release();
    assertThatThrownBy(() -> leader.batchDelete(List.of(K), false))
        .isInstanceOf(FencedException.class);
    assertThat(store.get(K)).isEmpty();
  }

  @Test
  void aFailureBranchThatWritesRunsOnlyUnderTheEpoch() {
    leader.acquire(0);
    leader.put(K, V);
    TxnResponse response = leader.txn(Txn.when(List.of(Compare.absent(K)), List.of(),
        List.of(TxnOp.put(K, Bytes.utf8("failure")))));
    assertThat(response.succeeded()).isFalse();
    assertThat(store.get(K).orElseThrow().value()).isEqualTo(Bytes.utf8("failure"));

    new LeaderEpoch(store).acquire(0);
    assertThatThrownBy(() -> leader.txn(Txn.when(List.of(Compare.absent(K)), List.of(),
        List.of(TxnOp.delete(K))))).isInstanceOf(FencedException.class);
    assertThat(store.get(K)).isPresent();
  }

  /**
   * A node frozen mid-write (GC pause, SIGSTOP) hears back from the store only after it stepped
   * down: the store applied the write while the epoch was current, so it is answered as done,
   * and the log says which epoch it carried and the revision it landed at, to tell it from a
   * stale write.
   */
  @Test
  void aWriteAppliedUnderTheEpochButAnsweredAfterStepDownIsLoggedWithItsRevision() {
    AtomicReference<FencedKv> node = new AtomicReference<>();
    KvBackend answersLate = (KvBackend) Proxy.newProxyInstance(KvBackend.class.getClassLoader(),
        new Class<?>[] {KvBackend.class}, (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("txn")) {
            node.get().release(); // stepped down while the answer was on its way
          }
          return result;
        });
    node.set(new FencedKv(answersLate, fencedBy::set));
    node.get().acquire(7);
    Logger logger = (Logger) LoggerFactory.getLogger(FencedKv.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      node.get().put(K, V);
    } finally {
      logger.detachAppender(logs);
    }

    long revision = store.get(K).orElseThrow().modRevision();
    assertThat(fencedBy.get()).isZero();
    assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
        .anySatisfy(message -> assertThat(message)
            .contains("fenced write under epoch 7 was applied at store revision " + revision)
            .contains("after this node gave the epoch up"));
  }

  @Test
  void epochsOnlyGrow() {
    LeaderEpoch epochs = new LeaderEpoch(store);
    assertThat(epochs.current()).isZero();
    assertThat(epochs.acquire(0)).isEqualTo(1);
    assertThat(epochs.acquire(10)).isEqualTo(10);
    assertThat(epochs.acquire(0)).isEqualTo(11);
    assertThatThrownBy(() -> epochs.acquire(11)).isInstanceOf(FencedException.class);
    assertThatThrownBy(() -> epochs.acquire(5)).isInstanceOf(FencedException.class);
    assertThat(epochs.current()).isEqualTo(11);
    assertThat(Bytes.utf8(store.get(Bytes.utf8(LeaderEpoch.KEY)).orElseThrow().value()))
        .isEqualTo("00000000000000000011");
  }

  @Test
  void concurrentCandidatesForOneTermGetItOnce() throws Exception {
    LeaderEpoch epochs = new LeaderEpoch(store);
    List<Thread> threads = new ArrayList<>();
    AtomicInteger wins = new AtomicInteger();
    for (int i = 0; i < 8; i++) {
      Thread t = new Thread(() -> {
        try {
          epochs.acquire(77);
          wins.incrementAndGet();
        } catch (FencedException expected) {
          // lost the race for the same term
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(wins.get()).isEqualTo(1);
    assertThat(epochs.current()).isEqualTo(77);
  }
}
