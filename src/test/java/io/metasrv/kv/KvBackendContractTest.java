package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.Compare.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link KvBackend} must have. A backend passes by extending this class and
 * returning a fresh, empty keyspace from {@link #newBackend}; other tests' keys may still exist
 * in the same server (a subclass can give each test its own prefix or table).
 */
@Timeout(60)
public abstract class KvBackendContractTest {

  /** Small limits, so that the limit tests stay small; every backend gets the same. */
  protected static final KvLimits LIMITS = new KvLimits(8, 1024);

  protected KvBackend kv;

  /** A backend over a fresh, empty keyspace, enforcing {@code limits}. */
  protected abstract KvBackend newBackend(KvLimits limits);

  /** Releases what {@link #newBackend} set up, after the backend is closed. */
  protected void cleanUp() {}

  /**
   * Whether a range delete is one atomic step against concurrent transactions; a store that
   * deletes a range as a read of its keys and then deletes of those keys says no, and skips
   * the test that needs it.
   */
  protected boolean deletesARangeAtomically() {
    return true;
  }

  @BeforeEach
  void openBackend() {
    kv = newBackend(LIMITS);
  }

  @AfterEach
  void closeBackend() {
    try {
      kv.close();
    } finally {
      cleanUp();
    }
  }

  // ---- put, get, range

  @Test
  void putReturnsThePreviousValue() {
    assertThat(kv.put(utf8("k"), utf8("v1"))).isEmpty();
    assertThat(kv.put(utf8("k"), utf8("v2"))).contains(kv("k", "v1"));
    assertThat(kv.get(utf8("k"))).contains(kv("k", "v2"));
  }

  @Test
  void getReadsOneKey() {
    putAll("a", "ab", "b");
    assertThat(kv.get(utf8("ab"))).contains(kv("ab", "ab"));
    assertThat(kv.get(utf8("abc"))).isEmpty();
  }

  @Test
  void rangeOfOneKeySelectsOnlyThatKey() {
    putAll("a", "ab", "b");
    assertThat(kv.range(RangeRequest.single(utf8("a"))).kvs()).containsExactly(kv("a", "a"));
    assertThat(kv.range(RangeRequest.single(utf8("c"))).kvs()).isEmpty();
  }

  @Test
  void rangeOfPrefixSelectsTheKeysStartingWithIt() {
    putAll("a", "a/", "a/x", "a/y/z", "a0", "b");
    assertThat(keys(kv.range(RangeRequest.prefix(utf8("a/"))))).containsExactly("a/", "a/x", "a/y/z");
  }

  @Test
  void rangeBetweenTwoKeysIsHalfOpen() {
    putAll("a", "b", "c", "d");
    assertThat(keys(kv.range(RangeRequest.between(utf8("b"), utf8("d"))))).containsExactly("b", "c");
    assertThat(kv.range(RangeRequest.between(utf8("c"), utf8("b"))).kvs()).isEmpty();
  }

  @Test
  void rangeEndOfZeroByteRunsToTheEndOfTheKeyspace() {
    putAll("a", "b", "c");
    RangeRequest fromB = new RangeRequest(utf8("b"), Bytes.ZERO, 0, false);
    assertThat(keys(kv.range(fromB))).containsExactly("b", "c");
  }

  @Test
  void rangeAllReturnsEveryKeyInOrder() {
    putAll("c", "a", "b/1", "b");
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("a", "b", "b/1", "c");
  }

  @Test
  void keysAreOrderedAsUnsignedBytes() {
    byte[][] inOrder = {
      {0x01}, {0x01, 0x00}, {0x01, 0x00, 0x00}, {0x01, 0x01}, {0x7f}, {(byte) 0x80}, {(byte) 0xff},
      {(byte) 0xff, 0x00}, {(byte) 0xff, (byte) 0xff}
    };
    for (int i = inOrder.length - 1; i >= 0; i--) {
      kv.put(inOrder[i], new byte[] {(byte) i});
    }
    assertThat(kv.range(RangeRequest.all()).kvs())
        .extracting(KeyValue::key)
        .containsExactly(inOrder);
    assertThat(kv.get(new byte[] {0x01, 0x00})).map(KeyValue::value).contains(new byte[] {1});
    assertThat(kv.range(RangeRequest.prefix(new byte[] {(byte) 0xff})).kvs())
        .extracting(KeyValue::key)
        .containsExactly(inOrder[6], inOrder[7], inOrder[8]);
  }

  @Test
  void prefixEndingInFfStopsBeforeTheNextPrefix() {
    byte[] prefix = {'p', (byte) 0xff};
    byte[][] inside = {{'p', (byte) 0xff}, {'p', (byte) 0xff, 0x00}, {'p', (byte) 0xff, (byte) 0xff}};
    for (byte[] key : inside) {
      kv.put(key, key);
    }
    kv.put(new byte[] {'p', (byte) 0xfe}, Bytes.EMPTY);
    kv.put(new byte[] {'q'}, Bytes.EMPTY);
    assertThat(kv.range(RangeRequest.prefix(prefix)).kvs())
        .extracting(KeyValue::key)
        .containsExactly(inside);
  }

  @Test
  void emptyKeysAreRefusedEverywhere() {
    byte[] empty = Bytes.EMPTY;
    List<Consumer<KvBackend>> calls = List.of(
        b -> b.put(empty, utf8("v")),
        b -> b.get(empty),
        b -> b.range(RangeRequest.single(empty)),
        b -> b.range(RangeRequest.between(empty, utf8("z"))),
        b -> b.deleteRange(RangeRequest.between(empty, utf8("z")), false),
        b -> b.batchGet(List.of(utf8("a"), empty)),
        b -> b.batchPut(List.of(kv("a", "v"), KeyValue.of(empty, utf8("v"))), false),
        b -> b.batchDelete(List.of(empty), false),
        b -> b.compareAndPut(empty, null, utf8("v")),
        b -> b.txn(Txn.of(List.of(TxnOp.put(utf8("a"), utf8("v")), TxnOp.put(empty, utf8("v"))))),
        b -> b.txn(Txn.when(List.of(Compare.absent(empty)), List.of(TxnOp.put(utf8("a"), utf8("v"))),
            List.of())));
    for (Consumer<KvBackend> call : calls) {
      assertThatThrownBy(() -> call.accept(kv))
          .isInstanceOf(InvalidKeyException.class)
          .hasMessageContaining("key is not provided");
    }
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void limitTruncatesTheRangeAndSaysThereIsMore() {
    putAll("a", "b", "c", "d", "e");
    RangeResponse two = kv.range(RangeRequest.all().withLimit(2));
    assertThat(keys(two)).containsExactly("a", "b");
    assertThat(two.more()).isTrue();
    RangeResponse exact = kv.range(RangeRequest.prefix(utf8("c")).withLimit(1));
    assertThat(keys(exact)).containsExactly("c");
    assertThat(exact.more()).isFalse();
    RangeResponse five = kv.range(RangeRequest.all().withLimit(5));
    assertThat(five.kvs()).hasSize(5);
    assertThat(five.more()).isFalse();
    RangeResponse unlimited = kv.range(RangeRequest.all().withLimit(0));
    assertThat(unlimited.kvs()).hasSize(5);
    assertThat(unlimited.more()).isFalse();
  }

  @Test
  void keysOnlyReturnsEmptyValues() {
    putAll("a", "b");
    List<KeyValue> kvs = kv.range(RangeRequest.all().withKeysOnly()).kvs();
    assertThat(kvs).extracting(kv -> utf8(kv.key())).containsExactly("a", "b");
    assertThat(kvs).allSatisfy(kv -> assertThat(kv.value()).isEmpty());
  }

  @Test
  void storedDataIsNotChangedByCallersReusingTheirArrays() {
    List<byte[]> callerArrays = new ArrayList<>();
    Function<String, byte[]> reused = text -> {
      byte[] array = utf8(text);
      callerArrays.add(array);
      return array;
    };
    kv.put(reused.apply("put"), reused.apply("v"));
    kv.batchPut(List.of(KeyValue.of(reused.apply("batch"), reused.apply("v"))), false);
    kv.compareAndPut(reused.apply("cas"), null, reused.apply("v"));
    kv.txn(Txn.of(List.of(TxnOp.put(reused.apply("txn"), reused.apply("v")))));
    callerArrays.forEach(array -> array[0] = 'x');

    assertThat(kv.range(RangeRequest.all()).kvs())
        .containsExactly(kv("batch", "v"), kv("cas", "v"), kv("put", "v"), kv("txn", "v"));
  }

  // ---- batches and deletes

  @Test
  void batchGetLeavesOutMissingKeysAndReturnsKeyOrder() {
    putAll("a", "b", "c");
    assertThat(kv.batchGet(List.of(utf8("c"), utf8("missing"), utf8("a"))))
        .containsExactly(kv("a", "a"), kv("c", "c"));
    assertThat(kv.batchGet(List.of())).isEmpty();
  }

  @Test
  void batchPutReturnsPreviousValuesOnlyWhenAsked() {
    kv.put(utf8("a"), utf8("old"));
    assertThat(kv.batchPut(List.of(kv("a", "1"), kv("b", "1")), false)).isEmpty();
    assertThat(kv.batchPut(List.of(kv("a", "2"), kv("b", "2"), kv("c", "2")), true))
        .containsExactlyInAnyOrder(kv("a", "1"), kv("b", "1"));
    assertThat(kv.range(RangeRequest.all()).kvs())
        .containsExactly(kv("a", "2"), kv("b", "2"), kv("c", "2"));
  }

  @Test
  void batchPutRefusesAKeyTwice() {
    assertThatThrownBy(() -> kv.batchPut(List.of(kv("a", "1"), kv("b", "1"), kv("a", "2")), false))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("\"a\"");
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void batchDeleteReturnsTheDeletedValuesWhenAsked() {
    putAll("a", "b", "c", "d");
    assertThat(kv.batchDelete(List.of(utf8("a"), utf8("missing")), false)).isEmpty();
    assertThat(kv.batchDelete(List.of(utf8("b"), utf8("c"), utf8("missing")), true))
        .containsExactlyInAnyOrder(kv("b", "b"), kv("c", "c"));
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("d");
  }

  @Test
  void batchesLargerThanMaxTxnOpsAreWrittenInChunks() {
    int size = LIMITS.maxTxnOps() * 3 + 1;
    List<KeyValue> kvs = IntStream.range(0, size)
        .mapToObj(i -> kv(String.format("batch/%03d", i), "v" + i))
        .toList();
    List<byte[]> keys = kvs.stream().map(KeyValue::key).toList();

    kv.batchPut(kvs, false);
    assertThat(kv.range(RangeRequest.prefix(utf8("batch/"))).kvs()).containsExactlyElementsOf(kvs);
    assertThat(kv.batchGet(keys)).containsExactlyElementsOf(kvs);
    assertThat(kv.batchPut(kvs, true)).containsExactlyInAnyOrderElementsOf(kvs);

    assertThat(kv.batchDelete(keys, true)).containsExactlyInAnyOrderElementsOf(kvs);
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void deleteRangeDeletesAndCountsTheSelectedKeys() {
    putAll("a", "p/1", "p/2", "p/3", "q");
    DeleteRangeResponse withoutPrev = kv.deleteRange(RangeRequest.single(utf8("p/1")), false);
    assertThat(withoutPrev.deleted()).isEqualTo(1);
    assertThat(withoutPrev.prevKvs()).isEmpty();

    DeleteRangeResponse withPrev = kv.deleteRange(RangeRequest.prefix(utf8("p/")), true);
    assertThat(withPrev.deleted()).isEqualTo(2);
    assertThat(withPrev.prevKvs()).containsExactly(kv("p/2", "p/2"), kv("p/3", "p/3"));
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("a", "q");

    assertThat(kv.deleteRange(RangeRequest.prefix(utf8("p/")), true).deleted()).isZero();
    assertThat(kv.deleteRange(RangeRequest.all(), false).deleted()).isEqualTo(2);
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  // ---- compare-and-put

  @Test
  void compareAndPutWithNullExpectationCreatesOnlyAMissingKey() {
    CompareAndPutResponse created = kv.compareAndPut(utf8("k"), null, utf8("v1"));
    assertThat(created.success()).isTrue();
    assertThat(created.prev()).isEmpty();

    CompareAndPutResponse refused = kv.compareAndPut(utf8("k"), null, utf8("v2"));
    assertThat(refused.success()).isFalse();
    assertThat(refused.prev()).contains(kv("k", "v1"));
    assertThat(kv.get(utf8("k"))).contains(kv("k", "v1"));
  }

  @Test
  void compareAndPutReplacesAnEqualValue() {
    kv.put(utf8("k"), utf8("v1"));
    CompareAndPutResponse response = kv.compareAndPut(utf8("k"), utf8("v1"), utf8("v2"));
    assertThat(response.success()).isTrue();
    assertThat(response.prev()).contains(kv("k", "v1"));
    assertThat(kv.get(utf8("k"))).contains(kv("k", "v2"));
  }

  @Test
  void compareAndPutWithAWrongValueReturnsTheCurrentOne() {
    kv.put(utf8("k"), utf8("current"));
    CompareAndPutResponse response = kv.compareAndPut(utf8("k"), utf8("stale"), utf8("new"));
    assertThat(response.success()).isFalse();
    assertThat(response.prev()).contains(kv("k", "current"));
    assertThat(kv.get(utf8("k"))).contains(kv("k", "current"));

    CompareAndPutResponse missing = kv.compareAndPut(utf8("missing"), utf8("any"), utf8("new"));
    assertThat(missing.success()).isFalse();
    assertThat(missing.prev()).isEmpty();
    assertThat(kv.get(utf8("missing"))).isEmpty();
  }

  // ---- transactions

  @Test
  void txnComparesValuesAsUnsignedBytes() {
    kv.put(utf8("k"), utf8("5"));
    kv.put(utf8("high"), new byte[] {(byte) 0x80});
    assertThat(holds(Compare.value(utf8("k"), Op.EQUAL, utf8("5")))).isTrue();
    assertThat(holds(Compare.value(utf8("k"), Op.EQUAL, utf8("6")))).isFalse();
    assertThat(holds(Compare.value(utf8("k"), Op.NOT_EQUAL, utf8("6")))).isTrue();
    assertThat(holds(Compare.value(utf8("k"), Op.NOT_EQUAL, utf8("5")))).isFalse();
    assertThat(holds(Compare.value(utf8("k"), Op.GREATER, utf8("4")))).isTrue();
    assertThat(holds(Compare.value(utf8("k"), Op.GREATER, utf8("5")))).isFalse();
    assertThat(holds(Compare.value(utf8("k"), Op.LESS, utf8("6")))).isTrue();
    assertThat(holds(Compare.value(utf8("k"), Op.LESS, utf8("5")))).isFalse();
    assertThat(holds(Compare.value(utf8("high"), Op.GREATER, new byte[] {0x7f}))).isTrue();
    // A value compare on a missing key never holds, whatever the operator.
    assertThat(holds(Compare.value(utf8("missing"), Op.NOT_EQUAL, utf8("5")))).isFalse();
  }

  @Test
  void txnComparesVersionsAndExistence() {
    kv.put(utf8("k"), utf8("1"));
    kv.put(utf8("k"), utf8("2"));
    assertThat(holds(Compare.version(utf8("k"), Op.EQUAL, 2))).isTrue();
    assertThat(holds(Compare.version(utf8("k"), Op.GREATER, 1))).isTrue();
    assertThat(holds(Compare.version(utf8("k"), Op.LESS, 2))).isFalse();
    assertThat(holds(Compare.version(utf8("missing"), Op.EQUAL, 0))).isTrue();
    assertThat(holds(Compare.exists(utf8("k")))).isTrue();
    assertThat(holds(Compare.absent(utf8("k")))).isFalse();
    assertThat(holds(Compare.exists(utf8("missing")))).isFalse();
    assertThat(holds(Compare.absent(utf8("missing")))).isTrue();
  }

  @Test
  void txnRunsTheSuccessBranchWhenEveryCompareHolds() {
    putAll("a", "b");
    TxnResponse response = kv.txn(Txn.when(
        List.of(Compare.exists(utf8("a")), Compare.valueEquals(utf8("b"), utf8("b"))),
        List.of(TxnOp.put(utf8("a"), utf8("a2")), TxnOp.get(utf8("a")), TxnOp.delete(utf8("b")),
            TxnOp.get(utf8("missing")), TxnOp.delete(utf8("missing"))),
        List.of(TxnOp.put(utf8("failure"), utf8("ran")))));

    assertThat(response.succeeded()).isTrue();
    assertThat(response.responses()).containsExactly(
        new TxnOpResponse.Put(Optional.of(kv("a", "a"))),
        new TxnOpResponse.Get(Optional.of(kv("a", "a2"))),
        new TxnOpResponse.Delete(Optional.of(kv("b", "b"))),
        new TxnOpResponse.Get(Optional.empty()),
        new TxnOpResponse.Delete(Optional.empty()));
    assertThat(kv.range(RangeRequest.all()).kvs()).containsExactly(kv("a", "a2"));
  }

  @Test
  void txnReportsTheRevisionItWroteAt() {
    putAll("before");
    TxnResponse wrote = kv.txn(Txn.of(List.of(TxnOp.put(utf8("a"), utf8("1")))));
    assertThat(wrote.revision()).as("revision of a writing transaction")
        .isPositive()
        .isEqualTo(kv.get(utf8("a")).orElseThrow().modRevision());
    TxnResponse read = kv.txn(Txn.of(List.of(TxnOp.get(utf8("a")))));
    assertThat(read.revision()).as("revision of a transaction that wrote nothing")
        .isEqualTo(wrote.revision());
  }

  @Test
  void txnRunsTheFailureBranchWhenAnyCompareFails() {
    putAll("a");
    TxnResponse response = kv.txn(Txn.when(
        List.of(Compare.exists(utf8("a")), Compare.exists(utf8("missing"))),
        List.of(TxnOp.put(utf8("success"), utf8("ran"))),
        List.of(TxnOp.get(utf8("a")), TxnOp.put(utf8("failure"), utf8("ran")))));

    assertThat(response.succeeded()).isFalse();
    assertThat(response.responses()).containsExactly(
        new TxnOpResponse.Get(Optional.of(kv("a", "a"))),
        new TxnOpResponse.Put(Optional.empty()));
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("a", "failure");
  }

  @Test
  void txnOfMaxTxnOpsRunsAndOneMoreIsRefusedWithNothingWritten() {
    int max = LIMITS.maxTxnOps();
    assertThat(kv.txn(Txn.of(puts("ok/", max))).succeeded()).isTrue();
    assertThat(kv.range(RangeRequest.prefix(utf8("ok/"))).kvs()).hasSize(max);

    assertThatThrownBy(() -> kv.txn(Txn.of(puts("big/", max + 1))))
        .isInstanceOfSatisfying(TxnTooLargeException.class, e -> {
          assertThat(e.ops()).isEqualTo(max + 1);
          assertThat(e.maxTxnOps()).isEqualTo(max);
        });
    List<Compare> tooManyCompares = IntStream.rangeClosed(0, max)
        .mapToObj(i -> Compare.absent(utf8("c" + i)))
        .toList();
    assertThatThrownBy(() -> kv.txn(Txn.when(tooManyCompares, puts("big/", 1), List.of())))
        .isInstanceOf(TxnTooLargeException.class);
    assertThatThrownBy(() -> kv.txn(Txn.when(List.of(), List.of(), puts("big/", max + 1))))
        .isInstanceOf(TxnTooLargeException.class);
    assertThat(kv.range(RangeRequest.prefix(utf8("big/"))).kvs()).isEmpty();
  }

  @Test
  void txnRefusesABranchWritingAKeyTwice() {
    assertThatThrownBy(() -> kv.txn(Txn.of(List.of(
            TxnOp.put(utf8("a"), utf8("1")), TxnOp.put(utf8("b"), utf8("1")),
            TxnOp.put(utf8("a"), utf8("2"))))))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("\"a\"");
    assertThatThrownBy(() -> kv.txn(Txn.of(List.of(
            TxnOp.delete(utf8("a")), TxnOp.put(utf8("a"), utf8("1"))))))
        .isInstanceOf(InvalidKeyException.class);
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();

    TxnResponse readThenWrite = kv.txn(Txn.of(List.of(
        TxnOp.get(utf8("a")), TxnOp.put(utf8("a"), utf8("1")), TxnOp.get(utf8("a")))));
    assertThat(readThenWrite.responses().get(2))
        .isEqualTo(new TxnOpResponse.Get(Optional.of(kv("a", "1"))));
  }

  // ---- value size

  @Test
  void valuesAboveTheMaximumSizeAreRefusedWithNothingWritten() {
    byte[] largest = new byte[(int) LIMITS.maxValueSize()];
    byte[] tooLarge = new byte[largest.length + 1];
    kv.put(utf8("largest"), largest);
    assertThat(kv.get(utf8("largest"))).map(KeyValue::value).contains(largest);

    assertTooLarge(() -> kv.put(utf8("put"), tooLarge), "put");
    assertTooLarge(
        () -> kv.batchPut(List.of(kv("batch/ok", "v"), KeyValue.of(utf8("batch/big"), tooLarge)),
            false),
        "batch/big");
    assertTooLarge(() -> kv.compareAndPut(utf8("cas"), null, tooLarge), "cas");
    assertTooLarge(
        () -> kv.txn(Txn.of(List.of(TxnOp.put(utf8("txn/ok"), utf8("v")),
            TxnOp.put(utf8("txn/big"), tooLarge)))),
        "txn/big");
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("largest");
  }

  // ---- bookkeeping

  @Test
  void versionCountsPutsSinceCreationAndModRevisionGrows() {
    kv.put(utf8("k"), utf8("1"));
    KeyValue created = kv.get(utf8("k")).orElseThrow();
    assertThat(created.version()).isEqualTo(1);

    kv.put(utf8("other"), utf8("x"));
    kv.put(utf8("k"), utf8("2"));
    KeyValue updated = kv.get(utf8("k")).orElseThrow();
    assertThat(updated.version()).isEqualTo(2);
    assertThat(updated.modRevision()).isGreaterThan(created.modRevision());

    kv.deleteRange(RangeRequest.single(utf8("k")), false);
    kv.put(utf8("k"), utf8("3"));
    KeyValue recreated = kv.get(utf8("k")).orElseThrow();
    assertThat(recreated.version()).isEqualTo(1);
    assertThat(recreated.modRevision()).isGreaterThan(updated.modRevision());
  }

  // ---- atomicity

  @Test
  void concurrentCompareAndSwapIncrementsLoseNoUpdate() throws Exception {
    int threads = 4;
    int incrementsPerThread = 25;
    byte[] counter = utf8("counter");
    kv.put(counter, utf8("0"));

    runConcurrently(threads, () -> {
      for (int i = 0; i < incrementsPerThread; i++) {
        boolean done = false;
        while (!done) {
          byte[] current = kv.get(counter).orElseThrow().value();
          byte[] next = utf8(Long.toString(Long.parseLong(utf8(current)) + 1));
          done = kv.txn(Txn.when(List.of(Compare.valueEquals(counter, current)),
              List.of(TxnOp.put(counter, next)), List.of())).succeeded();
        }
      }
      return null;
    });

    assertThat(utf8(kv.get(counter).orElseThrow().value()))
        .isEqualTo(Integer.toString(threads * incrementsPerThread));
  }

  @Test
  void concurrentPutsOfOneKeyEachReturnTheValueTheyReplaced() throws Exception {
    int threads = 4;
    int putsPerThread = 25;
    byte[] key = utf8("contended");
    kv.put(key, utf8("initial"));
    List<String> replaced = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger writer = new AtomicInteger();

    runConcurrently(threads, () -> {
      int self = writer.getAndIncrement();
      for (int i = 0; i < putsPerThread; i++) {
        replaced.add(utf8(kv.put(key, utf8(self + "/" + i)).orElseThrow().value()));
      }
      return null;
    });

    // the puts ran in some order: each replaced the one before it, so every value written
    // but the last was replaced exactly once, and so was the initial value
    KeyValue last = kv.get(key).orElseThrow();
    List<String> written = new ArrayList<>(List.of("initial"));
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < putsPerThread; i++) {
        written.add(t + "/" + i);
      }
    }
    written.remove(utf8(last.value()));
    assertThat(replaced).containsExactlyInAnyOrderElementsOf(written);
    assertThat(last.version()).isEqualTo(1 + threads * putsPerThread);
  }

  @Test
  void concurrentCreatesOfOneMissingKeyLetExactlyOneWin() throws Exception {
    byte[] key = utf8("claimed");
    for (int round = 0; round < 20; round++) {
      AtomicInteger winners = new AtomicInteger();
      AtomicInteger writer = new AtomicInteger();
      runConcurrently(4, () -> {
        byte[] self = utf8("owner-" + writer.getAndIncrement());
        if (kv.txn(Txn.when(List.of(Compare.absent(key)), List.of(TxnOp.put(key, self)),
            List.of())).succeeded()) {
          winners.incrementAndGet();
        }
        return null;
      });
      assertThat(winners).as("round %d", round).hasValue(1);
      kv.batchDelete(List.of(key), false);
    }
  }

  @Test
  void twoTransactionsEachCreatingWhatTheOtherFindsMissingCannotBothCommit() throws Exception {
    byte[] a = utf8("skew/a");
    byte[] b = utf8("skew/b");
    for (int round = 0; round < 20; round++) {
      runConcurrently(List.of(
          () -> {
            kv.txn(Txn.when(List.of(Compare.absent(a)), List.of(TxnOp.put(b, utf8("b"))),
                List.of()));
            return null;
          },
          () -> {
            kv.txn(Txn.when(List.of(Compare.absent(b)), List.of(TxnOp.put(a, utf8("a"))),
                List.of()));
            return null;
          }));
      // in either order the second finds the first's key: exactly one of them is there
      assertThat(kv.range(RangeRequest.prefix(utf8("skew/"))).kvs()).as("round %d", round)
          .hasSize(1);
      kv.deleteRange(RangeRequest.prefix(utf8("skew/")), false);
    }
  }

  @Test
  void aKeyCreatedBesideARangeDeleteIsDeletedOrNeverCreated() throws Exception {
    Assumptions.assumeTrue(deletesARangeAtomically(), "this store deletes a range key by key");
    byte[] guard = utf8("doomed/guard");
    byte[] created = utf8("doomed/created");
    for (int round = 0; round < 20; round++) {
      kv.put(guard, utf8("here"));
      runConcurrently(List.of(
          () -> {
            kv.deleteRange(RangeRequest.prefix(utf8("doomed/")), false);
            return null;
          },
          () -> {
            kv.txn(Txn.when(List.of(Compare.valueEquals(guard, utf8("here"))),
                List.of(TxnOp.put(created, utf8("new"))), List.of()));
            return null;
          }));
      // before the delete, the delete removes it; after, the guard is gone and it is not made
      assertThat(kv.range(RangeRequest.prefix(utf8("doomed/"))).kvs()).as("round %d", round)
          .isEmpty();
    }
  }

  @Test
  void readersNeverSeeAHalfDoneTransfer() throws Exception {
    byte[] left = utf8("account/left");
    byte[] right = utf8("account/right");
    int total = 100;
    kv.batchPut(List.of(KeyValue.of(left, utf8(Integer.toString(total))),
        KeyValue.of(right, utf8("0"))), false);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Long> sums = new ArrayList<>();

    Callable<Void> transfers = () -> {
      try {
        for (int i = 0; i < 100; i++) {
          boolean leftToRight = ThreadLocalRandom.current().nextBoolean();
          transferOne(leftToRight ? left : right, leftToRight ? right : left);
        }
      } finally {
        writing.set(false);
      }
      return null;
    };
    Callable<Void> reader = () -> {
      do {
        long sum = sumOf(kv.range(RangeRequest.prefix(utf8("account/"))).kvs());
        synchronized (sums) {
          sums.add(sum);
        }
      } while (writing.get());
      return null;
    };
    runConcurrently(List.of(transfers, reader, reader));

    assertThat(sums).containsOnly((long) total);
    assertThat(sumOf(kv.batchGet(List.of(left, right)))).isEqualTo(total);
  }

  private static long sumOf(List<KeyValue> kvs) {
    return kvs.stream().mapToLong(kv -> Long.parseLong(utf8(kv.value()))).sum();
  }

  /** Moves one unit from {@code from} to {@code to} (when {@code from} has one) atomically. */
  private void transferOne(byte[] from, byte[] to) {
    while (true) {
      byte[] fromValue = kv.get(from).orElseThrow().value();
      byte[] toValue = kv.get(to).orElseThrow().value();
      long fromAmount = Long.parseLong(utf8(fromValue));
      if (fromAmount == 0) {
        return;
      }
      long toAmount = Long.parseLong(utf8(toValue));
      boolean done = kv.txn(Txn.when(
          List.of(Compare.valueEquals(from, fromValue), Compare.valueEquals(to, toValue)),
          List.of(TxnOp.put(from, utf8(Long.toString(fromAmount - 1))),
              TxnOp.put(to, utf8(Long.toString(toAmount + 1)))),
          List.of())).succeeded();
      if (done) {
        return;
      }
    }
  }

  // ---- asynchronous forms: the same semantics, failures in the future, never thrown

  @Test
  void asyncReadsAndWritesDoWhatTheSynchronousOnesDo() {
    assertThat(done(kv.putAsync(utf8("k"), utf8("v1")))).isEmpty();
    assertThat(done(kv.putAsync(utf8("k"), utf8("v2")))).contains(kv("k", "v1"));
    assertThat(done(kv.getAsync(utf8("k")))).contains(kv("k", "v2"));
    assertThat(done(kv.getAsync(utf8("missing")))).isEmpty();
    assertThat(kv.get(utf8("k"))).contains(kv("k", "v2"));

    putAll("p/1", "p/2", "p/3", "q");
    RangeResponse two = done(kv.rangeAsync(RangeRequest.prefix(utf8("p/")).withLimit(2)));
    assertThat(keys(two)).containsExactly("p/1", "p/2");
    assertThat(two.more()).isTrue();
    RangeResponse keysOnly = done(kv.rangeAsync(RangeRequest.all().withKeysOnly()));
    assertThat(keys(keysOnly)).containsExactly("k", "p/1", "p/2", "p/3", "q");
    assertThat(keysOnly.kvs()).allSatisfy(found -> assertThat(found.value()).isEmpty());
    assertThat(done(kv.rangeAsync(RangeRequest.single(utf8("p/9")))).kvs()).isEmpty();

    assertThat(done(kv.batchGetAsync(List.of(utf8("q"), utf8("missing"), utf8("p/1")))))
        .containsExactly(kv("p/1", "p/1"), kv("q", "q"));
    assertThat(done(kv.batchPutAsync(List.of(kv("q", "q2"), kv("r", "r")), true)))
        .containsExactly(kv("q", "q"));
    assertThat(done(kv.batchPutAsync(List.of(kv("q", "q3")), false))).isEmpty();
    assertThat(done(kv.batchDeleteAsync(List.of(utf8("r"), utf8("missing")), true)))
        .containsExactly(kv("r", "r"));

    DeleteRangeResponse deleted = done(kv.deleteRangeAsync(RangeRequest.prefix(utf8("p/")), true));
    assertThat(deleted.deleted()).isEqualTo(3);
    assertThat(deleted.prevKvs()).containsExactly(kv("p/1", "p/1"), kv("p/2", "p/2"),
        kv("p/3", "p/3"));
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("k", "q");
  }

  @Test
  void asyncCompareAndPutAndTxnDecideAsTheSynchronousOnesDo() {
    CompareAndPutResponse created = done(kv.compareAndPutAsync(utf8("c"), null, utf8("1")));
    assertThat(created.success()).isTrue();
    assertThat(created.prev()).isEmpty();
    CompareAndPutResponse refused = done(kv.compareAndPutAsync(utf8("c"), utf8("0"), utf8("2")));
    assertThat(refused.success()).isFalse();
    assertThat(refused.prev()).contains(kv("c", "1"));
    CompareAndPutResponse replaced = done(kv.compareAndPutAsync(utf8("c"), utf8("1"), utf8("2")));
    assertThat(replaced.success()).isTrue();
    assertThat(replaced.prev()).contains(kv("c", "1"));

    TxnResponse failed = done(kv.txnAsync(Txn.when(
        List.of(Compare.valueEquals(utf8("c"), utf8("1"))),
        List.of(TxnOp.put(utf8("success"), utf8("ran"))),
        List.of(TxnOp.get(utf8("c")), TxnOp.put(utf8("failure"), utf8("ran"))))));
    assertThat(failed.succeeded()).isFalse();
    assertThat(failed.responses()).containsExactly(
        new TxnOpResponse.Get(Optional.of(kv("c", "2"))),
        new TxnOpResponse.Put(Optional.empty()));
    TxnResponse succeeded = done(kv.txnAsync(Txn.when(
        List.of(Compare.valueEquals(utf8("c"), utf8("2"))),
        List.of(TxnOp.delete(utf8("c")), TxnOp.put(utf8("success"), utf8("ran"))),
        List.of())));
    assertThat(succeeded.succeeded()).isTrue();
    assertThat(succeeded.responses()).containsExactly(
        new TxnOpResponse.Delete(Optional.of(kv("c", "2"))),
        new TxnOpResponse.Put(Optional.empty()));
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("failure", "success");
  }

  @Test
  void asyncRefusalsFailTheFutureWithTheSynchronousExceptionAndWriteNothing() {
    byte[] empty = Bytes.EMPTY;
    byte[] tooLarge = new byte[(int) LIMITS.maxValueSize() + 1];
    int max = LIMITS.maxTxnOps();
    List<Function<KvBackend, CompletableFuture<?>>> emptyKeys = List.of(
        b -> b.putAsync(empty, utf8("v")),
        b -> b.getAsync(empty),
        b -> b.rangeAsync(RangeRequest.between(empty, utf8("z"))),
        b -> b.deleteRangeAsync(RangeRequest.single(empty), false),
        b -> b.batchGetAsync(List.of(utf8("a"), empty)),
        b -> b.batchPutAsync(List.of(kv("a", "v"), KeyValue.of(empty, utf8("v"))), false),
        b -> b.batchDeleteAsync(List.of(empty), false),
        b -> b.compareAndPutAsync(empty, null, utf8("v")),
        b -> b.txnAsync(Txn.of(List.of(TxnOp.put(utf8("a"), utf8("v")),
            TxnOp.put(empty, utf8("v"))))));
    for (Function<KvBackend, CompletableFuture<?>> call : emptyKeys) {
      assertThat(failure(call.apply(kv)))
          .isInstanceOf(InvalidKeyException.class)
          .hasMessageContaining("key is not provided");
    }
    assertThat(failure(kv.putAsync(utf8("big"), tooLarge)))
        .isInstanceOfSatisfying(ValueTooLargeException.class,
            e -> assertThat(e.key()).isEqualTo(utf8("big")));
    assertThat(failure(kv.compareAndPutAsync(utf8("big"), null, tooLarge)))
        .isInstanceOf(ValueTooLargeException.class);
    assertThat(failure(kv.batchPutAsync(List.of(kv("a", "1"), kv("a", "2")), false)))
        .isInstanceOf(InvalidKeyException.class);
    assertThat(failure(kv.txnAsync(Txn.of(puts("big/", max + 1)))))
        .isInstanceOf(TxnTooLargeException.class);
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void asyncBatchesLargerThanMaxTxnOpsAreWrittenInChunks() {
    int size = LIMITS.maxTxnOps() * 2 + 3;
    List<KeyValue> kvs = IntStream.range(0, size)
        .mapToObj(i -> kv(String.format("batch/%03d", i), "v" + i))
        .toList();
    List<byte[]> keys = kvs.stream().map(KeyValue::key).toList();

    assertThat(done(kv.batchPutAsync(kvs, false))).isEmpty();
    assertThat(done(kv.batchGetAsync(keys))).containsExactlyElementsOf(kvs);
    assertThat(done(kv.rangeAsync(RangeRequest.prefix(utf8("batch/")))).kvs())
        .containsExactlyElementsOf(kvs);
    assertThat(done(kv.batchPutAsync(kvs, true))).containsExactlyInAnyOrderElementsOf(kvs);
    assertThat(done(kv.batchDeleteAsync(keys, true))).containsExactlyInAnyOrderElementsOf(kvs);
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void manyAsyncCallsInFlightAtOnceAllLand() {
    int count = 200;
    List<CompletableFuture<Optional<KeyValue>>> puts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      puts.add(kv.putAsync(utf8(String.format("many/%03d", i)), utf8("v" + i)));
    }
    puts.forEach(put -> assertThat(done(put)).isEmpty());
    List<CompletableFuture<RangeResponse>> ranges = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ranges.add(kv.rangeAsync(RangeRequest.prefix(utf8("many/"))));
    }
    ranges.forEach(range -> assertThat(done(range).kvs()).hasSize(count));
    assertThat(kv.range(RangeRequest.prefix(utf8("many/"))).kvs()).hasSize(count);
  }

  /** The value of an async call, waiting a bounded time; its failure as the sync call throws it. */
  protected static <T> T done(CompletableFuture<T> future) {
    try {
      return future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = KvFutures.cause(e);
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new AssertionError(cause);
    } catch (Exception e) {
      throw new AssertionError("async call did not complete: " + e, e);
    }
  }

  /** The exception an async call failed with; fails when it succeeded. */
  protected static Throwable failure(CompletableFuture<?> future) {
    try {
      Object value = future.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected the call to fail, it returned " + value);
    } catch (ExecutionException e) {
      return KvFutures.cause(e);
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("async call did not complete: " + e, e);
    }
  }

  // ---- helpers

  protected static KeyValue kv(String key, String value) {
    return KeyValue.of(utf8(key), utf8(value));
  }

  /** Puts each key with itself as value. */
  protected void putAll(String... keys) {
    for (String key : keys) {
      kv.put(utf8(key), utf8(key));
    }
  }

  protected static List<String> keys(RangeResponse response) {
    return response.kvs().stream().map(kv -> utf8(kv.key())).toList();
  }

  private static List<TxnOp> puts(String prefix, int count) {
    return IntStream.range(0, count)
        .mapToObj(i -> TxnOp.put(utf8(prefix + i), utf8("v")))
        .toList();
  }

  /** Whether {@code compare} holds, judged by which branch of a read-only txn ran. */
  private boolean holds(Compare compare) {
    return kv.txn(Txn.when(List.of(compare), List.of(), List.of())).succeeded();
  }

  private void assertTooLarge(Runnable call, String key) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(ValueTooLargeException.class, e -> {
          assertThat(e.key()).isEqualTo(utf8(key));
          assertThat(e.size()).isEqualTo(LIMITS.maxValueSize() + 1);
          assertThat(e.maxSize()).isEqualTo(LIMITS.maxValueSize());
        })
        .hasMessageContaining("\"" + key + "\"");
  }

  private static void runConcurrently(int threads, Callable<Void> task) throws Exception {
    runConcurrently(IntStream.range(0, threads).mapToObj(i -> task).toList());
  }

  /** Starts every task at once and rethrows the first failure. */
  private static void runConcurrently(List<Callable<Void>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Void>> futures = new ArrayList<>();
      for (Callable<Void> task : tasks) {
        futures.add(pool.submit(() -> {
          start.await();
          return task.call();
        }));
      }
      start.countDown();
      for (Future<Void> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
