package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The whole contract, and puts from many threads, on a store whose puts run concurrently. */
class MemoryKvConcurrentPutsTest extends KvBackendContractTest {
  private static final int THREADS = 8;
  private static final int PUTS_PER_THREAD = 2_000;

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    return MemoryKv.withConcurrentPuts(limits);
  }

  @Test
  void concurrentPutsOfOneKeyAreAllCountedAndRevisionsKeepGrowing() throws Exception {
    kv.put(utf8("before"), utf8("v"));
    long before = kv.get(utf8("before")).orElseThrow().modRevision();
    ExecutorService threads = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        String own = "own-" + t;
        done.add(threads.submit(() -> {
          start.await();
          for (int i = 0; i < PUTS_PER_THREAD; i++) {
            kv.put(utf8("shared"), utf8(own + "-" + i));
            kv.put(utf8(own), utf8(Integer.toString(i)));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> future : done) {
        future.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }

    assertThat(kv.get(utf8("shared")).orElseThrow().version())
        .isEqualTo((long) THREADS * PUTS_PER_THREAD);
    Set<Long> revisions = new HashSet<>();
    for (int t = 0; t < THREADS; t++) {
      KeyValue own = kv.get(utf8("own-" + t)).orElseThrow();
      assertThat(own.version()).isEqualTo(PUTS_PER_THREAD);
      assertThat(own.value()).isEqualTo(utf8(Integer.toString(PUTS_PER_THREAD - 1)));
      assertThat(own.modRevision()).isGreaterThan(before);
      revisions.add(own.modRevision());
    }
    assertThat(revisions).as("every put has a revision of its own").hasSize(THREADS);
    kv.put(utf8("after"), utf8("v"));
    assertThat(kv.get(utf8("after")).orElseThrow().modRevision())
        .isGreaterThan(kv.get(utf8("shared")).orElseThrow().modRevision());
  }

  @Test
  void aTransactionStaysAtomicToReadersWhilePutsRun() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> putter = threads.submit(() -> {
        for (int i = 0; !stop.get(); i++) {
          kv.put(utf8("p"), utf8(Integer.toString(i)));
        }
      });
      Future<?> writer = threads.submit(() -> {
        for (int i = 0; i < 2_000; i++) {
          kv.txn(Txn.of(List.of(TxnOp.put(utf8("a"), utf8(Integer.toString(i))),
              TxnOp.put(utf8("b"), utf8(Integer.toString(i))))));
        }
      });
      while (!writer.isDone()) {
        List<KeyValue> pair = kv.range(RangeRequest.between(utf8("a"), utf8("c"))).kvs();
        if (!pair.isEmpty()) {
          assertThat(pair).hasSize(2);
          assertThat(pair.get(0).value()).as("a and b from one transaction")
              .isEqualTo(pair.get(1).value());
        }
      }
      writer.get();
      stop.set(true);
      putter.get(10, TimeUnit.SECONDS);
    } finally {
      stop.set(true);
      threads.shutdownNow();
    }
  }

  @Test
  void aValueWrittenOnReadIsReadAsItsBytesAndCountsAsAPut() {
    KvBackend unlimited = newBackend(new KvLimits(KvLimits.DEFAULT.maxTxnOps(), 0));
    MemoryKv store = (MemoryKv) unlimited;
    int[] written = new int[1];
    store.put(utf8("stat"), utf8("old"));

    assertThat(store.putValueOnRead(utf8("stat"), () -> {
      written[0]++;
      return utf8("new");
    })).map(KeyValue::value).map(Bytes::utf8).contains("old");
    assertThat(written[0]).as("not written by the put").isZero();

    KeyValue read = store.get(utf8("stat")).orElseThrow();
    assertThat(utf8(read.value())).isEqualTo("new");
    assertThat(read.version()).isEqualTo(2);
    assertThat(store.range(RangeRequest.prefix(utf8("st"))).kvs())
        .extracting(kv -> utf8(kv.value())).containsExactly("new");
    assertThat(store.batchGet(List.of(utf8("stat")))).containsExactly(
        KeyValue.of(utf8("stat"), utf8("new")));
  }
}
