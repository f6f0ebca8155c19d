package io.metasrv.procedure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.TxnResponse;
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

/** Record puts of concurrent runners go to the store together, each still stored or failed. */
class GroupCommitTest {
  private final GatedKv kv = new GatedKv(new MemoryKv(new KvLimits(3, 1500L * 1024)));
  private final GroupCommit puts = new GroupCommit(kv);
  private final Map<String, Throwable> failures = new ConcurrentHashMap<>();

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
    kv.hold();
    Thread first = putting("a");
    await().atMost(Duration.ofSeconds(10)).until(() -> kv.held.getCount() == 0);
    List<Thread> later = new ArrayList<>();
    for (String key : List.of("b", "c", "d", "e")) {
      later.add(putting(key));
    }
    awaitWaiting(later);

    kv.release();
    first.join();
    for (Thread thread : later) {
      thread.join();
    }

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
    kv.hold();
    Thread first = putting("a");
    await().atMost(Duration.ofSeconds(10)).until(() -> kv.held.getCount() == 0);
    Thread b = putting("b");
    awaitWaiting(List.of(b));
    Thread bAgain = putting("b");
    awaitWaiting(List.of(bAgain));

    kv.release();
    first.join();
    b.join();
    bAgain.join();

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

    kv.release();
    first.join();
    second.join();

    assertThat(failures).containsOnlyKeys("a");
    assertThat(failures.get("a")).isInstanceOf(KvUnavailableException.class);
    assertThat(kv.get(Bytes.utf8("a"))).isEmpty();
    assertThat(kv.get(Bytes.utf8("b"))).isPresent();
    assertThatThrownBy(() -> {
      kv.failNext = true;
      puts.put(Bytes.utf8("c"), Bytes.utf8("3"));
    }).isInstanceOf(KvUnavailableException.class);
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

  /** Records the keys of each put or transaction of puts; can hold the next one, or fail it. */
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
      batches.add(txn.success().stream()
          .map(op -> Bytes.utf8(((TxnOp.Put) op).key())).toList());
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
