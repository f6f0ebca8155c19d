package io.metasrv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.metasrv.testing.ForwardingKv;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Writes of concurrent callers go to the store together, each still answered as if it had been
 * sent alone.
 */
class GroupCommitTest {
  private final GatedKv kv = new GatedKv(new MemoryKv(new KvLimits(3, 1500L * 1024)));
  private final GroupCommit puts = new GroupCommit(kv);
  private final Map<String, Throwable> failures = new ConcurrentHashMap<>();
  private final Map<String, TxnResponse> answers = new ConcurrentHashMap<>();

  @Test
  void aPutAloneIsSentAtOnce() {
    puts.put(Bytes.utf8("a"), Bytes.utf8("1"));
    puts.put(Bytes.utf8("b"), Bytes.utf8("2"));

    assertThat(kv.batches).containsExactly(List.of("a"), List.of("b"));
    assertThat(kv.get(Bytes.utf8("b")).orElseThrow().value()).isEqualTo(Bytes.utf8("2"));
  }

  @Test
  void putsArrivingWhileATransactionIsInFlightGoTogetherInTheNextOneUpToMaxTxnOps()
      throws Exception {
    Thread first = puttingAHeldInTheStore();
    List<Thread> later = new ArrayList<>();
    for (String key : List.of("b", "c", "d", "e")) {
      later.add(putting(key));
    }
    awaitWaiting(later);

    later.add(0, first);
    releaseAndJoin(later);

    assertThat(failures).isEmpty();
    assertThat(kv.batches).hasSize(3);
    assertThat(kv.batches.get(0)).containsExactly("a");
    assertThat(kv.batches.get(1)).hasSize(3);
    assertThat(kv.batches.get(2)).hasSize(1);
    for (String key : List.of("a", "b", "c", "d", "e")) {
      assertThat(kv.get(Bytes.utf8(key))).as(key).isPresent();
    }
  }

  @Test
  void aKeyAlreadyInTheBatchEndsIt() throws Exception {
    Thread first = puttingAHeldInTheStore();
    Thread b = putting("b");
    awaitWaiting(List.of(b));
    Thread bAgain = putting("b");
    awaitWaiting(List.of(bAgain));

    releaseAndJoin(List.of(first, b, bAgain));

    assertThat(failures).isEmpty();
    assertThat(kv.batches).containsExactly(List.of("a"), List.of("b"), List.of("b"));
  }

  @Test
  void aFailedTransactionFailsEachPutInItAndTheNextBatchStillGoes() throws Exception {
    kv.hold();
    kv.failNext = true;
    Thread first = putting("a");
    await().atMost(Duration.ofSeconds(10)).until(() -> kv.held.getCount() == 0);
    Thread second = putting("b");
    awaitWaiting(List.of(second));

    releaseAndJoin(List.of(first, second));

    assertThat(failures).containsOnlyKeys("a");
    assertThat(failures.get("a")).isInstanceOf(KvUnavailableException.class);
    assertThat(kv.get(Bytes.utf8("a"))).isEmpty();
    assertThat(kv.get(Bytes.utf8("b"))).isPresent();
    assertThatThrownBy(() -> {
      kv.failNext = true;
      puts.put(Bytes.utf8("c"), Bytes.utf8("3"));
    }).isInstanceOf(KvUnavailableException.class);
  }

  @Test
  void transactionsArrivingMeanwhileShareOneAndEachGetsTheAnswersToItsOwnOperations()
      throws Exception {
    kv.put(Bytes.utf8("x"), Bytes.utf8("old x"));
    kv.batches.clear();
    Thread first = puttingAHeldInTheStore();
    Thread create = txning("create", Txn.when(List.of(Compare.absent(Bytes.utf8("t"))),
        List.of(TxnOp.put(Bytes.utf8("t"), Bytes.utf8("1")), TxnOp.get(Bytes.utf8("t"))),
        List.of(TxnOp.get(Bytes.utf8("t")))));
    awaitWaiting(List.of(create));
    Thread update = txning("update",
        Txn.when(List.of(Compare.valueEquals(Bytes.utf8("x"), Bytes.utf8("old x"))),
            List.of(TxnOp.put(Bytes.utf8("x"), Bytes.utf8("new x"))), List.of()));
    awaitWaiting(List.of(update));

    releaseAndJoin(List.of(first, create, update));

    assertThat(failures).isEmpty();
    assertThat(kv.batches).containsExactly(List.of("a"), List.of("t", "t", "x"));
    TxnResponse created = answers.get("create");
    assertThat(created.succeeded()).isTrue();
    assertThat(created.responses()).hasSize(2);
    assertThat(((TxnOpResponse.Get) created.responses().get(1)).kv().orElseThrow().value())
        .isEqualTo(Bytes.utf8("1"));
    TxnResponse updated = answers.get("update");
    assertThat(updated.succeeded()).isTrue();
    assertThat(updated.responses()).hasSize(1);
    assertThat(((TxnOpResponse.Put) updated.responses().get(0)).prev().orElseThrow().value())
        .isEqualTo(Bytes.utf8("old x"));
    assertThat(updated.revision()).isEqualTo(created.revision());
    assertThat(kv.get(Bytes.utf8("x")).orElseThrow().value()).isEqualTo(Bytes.utf8("new x"));
  }

  @Test
  void aBatchRefusedByOneCompareWritesNothingAndEachWriteIsSentAgainAlone() throws Exception {
    kv.put(Bytes.utf8("t"), Bytes.utf8("taken"));
    kv.batches.clear();
    Thread first = puttingAHeldInTheStore();
    Thread clash = txning("clash", Txn.when(List.of(Compare.absent(Bytes.utf8("t"))),
        List.of(TxnOp.put(Bytes.utf8("t"), Bytes.utf8("mine"))),
        List.of(TxnOp.get(Bytes.utf8("t")))));
    awaitWaiting(List.of(clash));
    Thread other = txning("other", putWhenAbsent("u", "u", "1"));
    awaitWaiting(List.of(other));

    releaseAndJoin(List.of(first, clash, other));

    assertThat(failures).isEmpty();
    assertThat(kv.batches).hasSize(4);
    assertThat(kv.batches.subList(0, 2)).containsExactly(List.of("a"), List.of("t", "u"));
    assertThat(kv.batches.subList(2, 4)).containsExactlyInAnyOrder(List.of("t"), List.of("u"));
    TxnResponse refused = answers.get("clash");
    assertThat(refused.succeeded()).isFalse();
    assertThat(((TxnOpResponse.Get) refused.responses().get(0)).kv().orElseThrow().value())
        .isEqualTo(Bytes.utf8("taken"));
    assertThat(answers.get("other").succeeded()).isTrue();
    assertThat(kv.get(Bytes.utf8("t")).orElseThrow().value()).isEqualTo(Bytes.utf8("taken"));
    assertThat(kv.get(Bytes.utf8("u")).orElseThrow().value()).isEqualTo(Bytes.utf8("1"));
  }

  @Test
  void aWriteComparingAKeyTheBatchPutsGoesInTheNextBatchAndSeesThatPut() throws Exception {
    Thread first = puttingAHeldInTheStore();
    Thread b = putting("b");
    awaitWaiting(List.of(b));
    Thread check = txning("check", putWhenAbsent("b", "c", "3"));
    awaitWaiting(List.of(check));

    releaseAndJoin(List.of(first, b, check));

    assertThat(failures).isEmpty();
    assertThat(kv.batches).containsExactly(List.of("a"), List.of("b"), List.of("c"));
    assertThat(answers.get("check").succeeded()).isFalse();
    assertThat(kv.get(Bytes.utf8("c"))).isEmpty();
  }

  @Test
  void aBatchLeavesOneCompareOfMaxTxnOpsForAFence() throws Exception {
    Thread first = puttingAHeldInTheStore();
    List<Thread> creates = new ArrayList<>();
    for (String key : List.of("x", "y", "z")) {
      Thread create = txning(key, putWhenAbsent(key, key, key));
      awaitWaiting(List.of(create));
      creates.add(create);
    }

    creates.add(0, first);
    releaseAndJoin(creates);

    assertThat(failures).isEmpty();
    assertThat(kv.batches).containsExactly(List.of("a"), List.of("x", "y"), List.of("z"));
    assertThat(answers.values()).allMatch(TxnResponse::succeeded).hasSize(3);
  }

  /** Starts a put of {@code a} and waits until the store holds it: writes sent now wait. */
  private Thread puttingAHeldInTheStore() {
    kv.hold();
    Thread first = putting("a");
    await().atMost(Duration.ofSeconds(10)).until(() -> kv.held.getCount() == 0);
    return first;
  }

  private void releaseAndJoin(List<Thread> threads) throws InterruptedException {
    kv.release();
    for (Thread thread : threads) {
      thread.join();
    }
  }

  /** A put of {@code key} when {@code absent} does not exist; no failure operations. */
  private static Txn putWhenAbsent(String absent, String key, String value) {
    return Txn.when(List.of(Compare.absent(Bytes.utf8(absent))),
        List.of(TxnOp.put(Bytes.utf8(key), Bytes.utf8(value))), List.of());
  }

  private Thread txning(String name, Txn txn) {
    Thread thread = new Thread(() -> {
      try {
        answers.put(name, puts.txn(txn));
      } catch (RuntimeException e) {
        failures.put(name, e);
      }
    }, "txn-" + name);
    thread.start();
    return thread;
  }

  private Thread putting(String key) {
    Thread thread = new Thread(() -> {
      try {
        puts.put(Bytes.utf8(key), Bytes.utf8(key));
      } catch (RuntimeException e) {
        failures.put(key, e);
      }
    }, "put-" + key);
    thread.start();
    return thread;
  }

  private static void awaitWaiting(List<Thread> threads) {
    await().atMost(Duration.ofSeconds(10)).until(() -> threads.stream()
        .allMatch(thread -> thread.getState() == Thread.State.WAITING));
  }

  /**
   * Records the keys of each put and of each transaction's success operations; can hold the next
   * call, or fail it.
   */
  private static final class GatedKv extends ForwardingKv {
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    volatile CountDownLatch held = new CountDownLatch(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);
    volatile boolean failNext;

    GatedKv(MemoryKv delegate) {
      super(delegate);
    }

    void hold() {
      held = new CountDownLatch(1);
      gate = new CountDownLatch(1);
    }

    void release() {
      gate.countDown();
    }

    @Override
    public Optional<KeyValue> put(byte[] key, byte[] value) {
      batches.add(List.of(Bytes.utf8(key)));
      pass();
      return delegate.put(key, value);
    }

    @Override
    public TxnResponse txn(Txn txn) {
      batches.add(txn.success().stream().map(op -> Bytes.utf8(op.key())).toList());
      pass();
      return delegate.txn(txn);
    }

    /** Waits while held, then fails if told to. */
    private void pass() {
      held.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      if (failNext) {
        failNext = false;
        throw new KvUnavailableException("etcd is away", null);
      }
    }
  }
}
