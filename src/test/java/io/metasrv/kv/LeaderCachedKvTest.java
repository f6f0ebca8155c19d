package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class LeaderCachedKvTest {
  private static final byte[] ROUTE = utf8("__table_route/1024");
  private static final byte[] OTHER = utf8("__other/1");

  private final MemoryKv store = new MemoryKv(KvLimits.DEFAULT);
  private final LeaderCachedKv cached =
      new LeaderCachedKv(store, List.of(utf8("__table_route/"), utf8("__node_address/")));

  @Test
  void enabledCacheAnswersExactReadsOfCachedPrefixesFromMemory() {
    store.put(ROUTE, utf8("v1"));
    store.put(OTHER, utf8("o1"));
    cached.enable();
    // written behind the cache's back: the loaded value is still served
    store.put(ROUTE, utf8("v2"));
    store.put(OTHER, utf8("o2"));

    assertThat(value(cached.get(ROUTE))).isEqualTo("v1");
    assertThat(cached.batchGet(List.of(ROUTE))).extracting(kv -> utf8(kv.value()))
        .containsExactly("v1");
    assertThat(cached.range(RangeRequest.single(ROUTE)).kvs())
        .extracting(kv -> utf8(kv.value())).containsExactly("v1");
    assertThat(value(cached.get(OTHER))).as("not a cached prefix").isEqualTo("o2");
    assertThat(cached.range(RangeRequest.prefix(utf8("__table_route/"))).kvs())
        .as("prefix ranges are not cached").extracting(kv -> utf8(kv.value()))
        .containsExactly("v2");
  }

  @Test
  void writesThroughTheCacheAreSeenAtOnce() throws Exception {
    cached.enable();
    assertThat(cached.get(ROUTE)).isEmpty();
    cached.put(ROUTE, utf8("v1"));
    assertThat(value(cached.get(ROUTE))).isEqualTo("v1");
    cached.compareAndPut(ROUTE, utf8("v1"), utf8("v2"));
    assertThat(value(cached.get(ROUTE))).isEqualTo("v2");
    cached.txn(Txn.of(List.of(new TxnOp.Put(ROUTE, utf8("v3")))));
    assertThat(value(cached.get(ROUTE))).isEqualTo("v3");
    cached.putAsync(ROUTE, utf8("v4")).get(5, TimeUnit.SECONDS);
    assertThat(value(cached.getAsync(ROUTE).get(5, TimeUnit.SECONDS))).isEqualTo("v4");
    cached.deleteRange(RangeRequest.prefix(utf8("__table_route/")), false);
    assertThat(cached.get(ROUTE)).isEmpty();
  }

  @Test
  void disabledCachePassesEverythingThroughAndForgetsWhatItHeld() {
    store.put(ROUTE, utf8("v1"));
    cached.enable();
    assertThat(value(cached.get(ROUTE))).isEqualTo("v1");
    cached.disable(); // step-down
    store.put(ROUTE, utf8("v2"));
    assertThat(value(cached.get(ROUTE))).isEqualTo("v2");
    cached.enable(); // elected again: loads afresh
    assertThat(value(cached.get(ROUTE))).isEqualTo("v2");
  }

  @Test
  void aReadThatRacedWithAWriteDoesNotPutTheOldValueBack() throws Exception {
    CountDownLatch readDone = new CountDownLatch(1);
    CountDownLatch writeDone = new CountDownLatch(1);
    KvBackend slowReads = storeThen(method -> {
      if (method.equals("get")) {
        readDone.countDown();
        await(writeDone);
      }
    });
    LeaderCachedKv racing = new LeaderCachedKv(slowReads, List.of(utf8("__table_route/")));
    racing.enable();
    racing.put(ROUTE, utf8("old")); // its version is not known: the next get reads the store

    CompletableFuture<Optional<KeyValue>> reader =
        CompletableFuture.supplyAsync(() -> racing.get(ROUTE));
    readDone.await();
    racing.put(ROUTE, utf8("new"));
    writeDone.countDown();
    assertThat(value(reader.get(5, TimeUnit.SECONDS))).as("the racing read itself")
        .isEqualTo("old");
    assertThat(value(racing.get(ROUTE))).isEqualTo("new");
  }

  @Test
  void aReadKeepsWhatItReadUnlessAWriteMeanwhileChangedThatKeyOrOutranTheLog()
      throws Exception {
    byte[] otherRoute = utf8("__table_route/1025");
    store.put(ROUTE, utf8("r1"));
    store.put(otherRoute, utf8("o1"));
    AtomicInteger storeGets = new AtomicInteger();
    AtomicReference<Runnable> whileReading = new AtomicReference<>(() -> { });
    KvBackend counted = storeThen(method -> {
      if (method.equals("batchGet")) {
        storeGets.incrementAndGet();
        whileReading.getAndSet(() -> { }).run();
      }
    });
    LeaderCachedKv racing = new LeaderCachedKv(counted, List.of(utf8("__table_route/")));
    racing.enable();
    racing.put(ROUTE, utf8("r2")); // the cache holds neither route now
    racing.put(otherRoute, utf8("o2"));
    int before = storeGets.get();

    // a write to another key during the read: both values read are kept but the rewritten one
    whileReading.set(() -> racing.put(otherRoute, utf8("o3")));
    assertThat(racing.batchGet(List.of(ROUTE, otherRoute))).extracting(kv -> utf8(kv.value()))
        .containsExactlyInAnyOrder("r2", "o2");
    assertThat(racing.batchGet(List.of(ROUTE))).extracting(kv -> utf8(kv.value()))
        .containsExactly("r2");
    assertThat(storeGets.get()).as("ROUTE kept").isEqualTo(before + 1);
    assertThat(racing.batchGet(List.of(otherRoute))).extracting(kv -> utf8(kv.value()))
        .containsExactly("o3");
    assertThat(storeGets.get()).as("otherRoute read again").isEqualTo(before + 2);

    // more writes during a read than the log holds: nothing read is kept
    racing.put(ROUTE, utf8("r3"));
    whileReading.set(() -> {
      for (int i = 0; i <= LeaderCachedKv.RECENT_WRITES; i++) {
        racing.put(utf8("__unrelated/" + i), utf8("x"));
      }
    });
    assertThat(racing.batchGet(List.of(ROUTE))).extracting(kv -> utf8(kv.value()))
        .containsExactly("r3");
    racing.batchGet(List.of(ROUTE));
    assertThat(storeGets.get()).isEqualTo(before + 4);
  }

  @Test
  void aKeyATransactionCreatedUnderAnAbsentCompareIsCachedAsWrittenUnlessWrittenAgainMeanwhile()
      throws Exception {
    byte[] otherRoute = utf8("__table_route/1025");
    AtomicInteger storeGets = new AtomicInteger();
    AtomicReference<Runnable> afterTxn = new AtomicReference<>(() -> { });
    KvBackend counted = storeThen(method -> {
      if (method.equals("get")) {
        storeGets.incrementAndGet();
      } else if (method.equals("txn")) {
        afterTxn.getAndSet(() -> { }).run();
      }
    });
    LeaderCachedKv creating = new LeaderCachedKv(counted, List.of(utf8("__table_route/")));
    creating.enable();

    TxnResponse created = creating.txn(Txn.when(List.of(Compare.absent(ROUTE)),
        List.of(TxnOp.put(ROUTE, utf8("r1")), TxnOp.put(otherRoute, utf8("o1"))), List.of()));
    assertThat(created.succeeded()).isTrue();
    KeyValue cachedRoute = creating.get(ROUTE).orElseThrow();
    assertThat(storeGets.get()).as("served from the cache").isZero();
    assertThat(cachedRoute).isEqualTo(store.get(ROUTE).orElseThrow());
    assertThat(cachedRoute.version()).isOne();
    assertThat(cachedRoute.modRevision()).isEqualTo(created.revision());
    assertThat(value(creating.get(otherRoute))).as("put without an absent compare").isEqualTo("o1");
    assertThat(storeGets.get()).isOne();

    // a write to the key that finished while the creating transaction was finishing wins
    creating.deleteRange(RangeRequest.prefix(utf8("__table_route/")), false);
    afterTxn.set(() -> creating.put(ROUTE, utf8("r3")));
    assertThat(creating.txn(Txn.when(List.of(Compare.absent(ROUTE)),
        List.of(TxnOp.put(ROUTE, utf8("r2"))), List.of())).succeeded()).isTrue();
    assertThat(value(creating.get(ROUTE))).isEqualTo("r3");
  }

  @Test
  void keysTheLoadDidNotFindAreAnsweredAbsentFromMemoryUntilAWriteMayHaveStoredThem()
      throws Exception {
    byte[] absent = utf8("__table_route/1025");
    byte[] written = utf8("__table_route/1026");
    store.put(ROUTE, utf8("r1"));
    AtomicInteger storeReads = new AtomicInteger();
    KvBackend counted = storeThen(method -> {
      if (method.startsWith("get") || method.startsWith("batchGet")) {
        storeReads.incrementAndGet();
      }
    });
    LeaderCachedKv cache = new LeaderCachedKv(counted, List.of(utf8("__table_route/")));
    cache.enable();

    assertThat(cache.get(absent)).isEmpty();
    assertThat(cache.getAsync(absent).get(5, TimeUnit.SECONDS)).isEmpty();
    assertThat(cache.batchGet(List.of(ROUTE, absent))).extracting(kv -> utf8(kv.value()))
        .containsExactly("r1");
    assertThat(cache.range(RangeRequest.single(absent)).kvs()).isEmpty();
    assertThat(storeReads.get()).as("all answered from memory").isZero();

    // a put's new version is not known: read once, then cached
    cache.put(written, utf8("w1"));
    assertThat(value(cache.get(written))).isEqualTo("w1");
    assertThat(value(cache.get(written))).isEqualTo("w1");
    assertThat(storeReads.get()).isOne();
    // a delete that ran: absent at once
    assertThat(cache.txn(Txn.of(List.of(TxnOp.delete(written)))).succeeded()).isTrue();
    assertThat(cache.get(written)).isEmpty();
    assertThat(storeReads.get()).isOne();
    // a put in a branch that did not run: read once, found absent, then known absent
    assertThat(cache.txn(Txn.when(List.of(Compare.valueEquals(ROUTE, utf8("other"))),
        List.of(TxnOp.put(absent, utf8("a1"))), List.of())).succeeded()).isFalse();
    assertThat(cache.get(absent)).isEmpty();
    assertThat(cache.get(absent)).isEmpty();
    assertThat(storeReads.get()).isEqualTo(2);
    // behind the cache's back (no writer may do this while it leads): not seen
    store.put(absent, utf8("behind"));
    assertThat(cache.get(absent)).isEmpty();

    // a range delete of other keys changes nothing; one over the cached prefix stops the
    // answers from memory for absent keys until the next enable
    cache.deleteRange(RangeRequest.prefix(utf8("__other/")), false);
    assertThat(value(cache.get(ROUTE))).isEqualTo("r1");
    assertThat(storeReads.get()).isEqualTo(2);
    cache.deleteRange(RangeRequest.single(ROUTE), false);
    assertThat(value(cache.get(absent))).isEqualTo("behind");
    assertThat(cache.get(written)).isEmpty();
    assertThat(storeReads.get()).isEqualTo(4);
    cache.enable();
    assertThat(cache.get(written)).isEmpty();
    assertThat(storeReads.get()).isEqualTo(4);
  }

  @Test
  void aLoadThatAWriteOfACachedKeyRacedWithIsDoneAgain() {
    byte[] absent = utf8("__table_route/1025");
    AtomicInteger loads = new AtomicInteger();
    AtomicInteger storeReads = new AtomicInteger();
    AtomicReference<Consumer<Integer>> duringLoad = new AtomicReference<>(load -> { });
    AtomicReference<LeaderCachedKv> cache = new AtomicReference<>();
    KvBackend counted = storeThen(method -> {
      if (method.equals("range")) {
        duringLoad.get().accept(loads.incrementAndGet());
      } else if (method.startsWith("get")) {
        storeReads.incrementAndGet();
      }
    });
    cache.set(new LeaderCachedKv(counted, List.of(utf8("__table_route/"))));

    // the first load races with a write of a cached key, the second with one of another key
    duringLoad.set(load -> cache.get().put(load == 1 ? ROUTE : OTHER, utf8("v" + load)));
    cache.get().enable();
    assertThat(loads.get()).isEqualTo(2);
    assertThat(value(cache.get().get(ROUTE))).isEqualTo("v1");
    assertThat(cache.get().get(absent)).isEmpty();
    assertThat(storeReads.get()).as("the second load was kept").isZero();

    // every load raced: the cache starts empty and reads the store for what it lacks
    duringLoad.set(load -> cache.get().put(ROUTE, utf8("v" + load)));
    loads.set(0);
    cache.get().enable();
    assertThat(loads.get()).isEqualTo(3);
    assertThat(value(cache.get().get(ROUTE))).isEqualTo("v3");
    assertThat(cache.get().get(absent)).isEmpty();
    assertThat(storeReads.get()).isEqualTo(2);
  }

  /** The store, calling {@code after} with each method's name once the store answered it. */
  private KvBackend storeThen(Consumer<String> after) {
    return (KvBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {KvBackend.class}, (proxy, method, args) -> {
          Object result = method.invoke(store, args);
          after.accept(method.getName());
          return result;
        });
  }

  private static String value(Optional<KeyValue> kv) {
    return kv.map(found -> utf8(found.value())).orElse(null);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
