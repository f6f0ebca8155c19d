package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link EtcdKv} against a real etcd. Every backend from {@link #newBackend} starts from an empty
 * etcd, so the tests of this class must run one at a time (JUnit's default).
 * The shared contract runs first; the tests here are etcd's own (pagination, reconnects,
 * several endpoints, etcd's request rules).
 */
class EtcdKvTest extends KvBackendContractTest {
  private static EtcdProcess etcd;

  private final List<KvBackend> opened = new ArrayList<>();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.shared();
  }

  @AfterEach
  void closeBackends() {
    opened.forEach(KvBackend::close);
  }

  @Override
  protected KvBackend newBackend(KvLimits limits) {
    return open(EtcdKvConfig.of(etcd.endpoint()), limits);
  }

  private EtcdKv open(EtcdKvConfig config, KvLimits limits) {
    EtcdKv kv = EtcdKv.connect(config, limits);
    opened.add(kv);
    kv.deleteRange(RangeRequest.all(), false);
    return kv;
  }

  // ---- reads and writes

  @Test
  void putReturnsThePreviousValueAndBumpsVersionAndRevision() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);

    assertThat(kv.put(utf8("k"), utf8("v1"))).isEmpty();
    Optional<KeyValue> prev = kv.put(utf8("k"), utf8("v2"));
    KeyValue current = kv.get(utf8("k")).orElseThrow();

    assertThat(prev).contains(KeyValue.of(utf8("k"), utf8("v1")));
    assertThat(prev.orElseThrow().version()).isEqualTo(1);
    assertThat(current).isEqualTo(KeyValue.of(utf8("k"), utf8("v2")));
    assertThat(current.version()).isEqualTo(2);
    assertThat(current.modRevision()).isGreaterThan(prev.orElseThrow().modRevision());
    assertThat(kv.get(utf8("missing"))).isEmpty();
  }

  @Test
  void rangeFollowsEtcdRangeEndRules() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    for (String key : List.of("a", "b", "b/1", "b/2", "c")) {
      kv.put(utf8(key), utf8("value-" + key));
    }

    assertThat(keys(kv.range(RangeRequest.single(utf8("b"))))).containsExactly("b");
    assertThat(keys(kv.range(RangeRequest.prefix(utf8("b/"))))).containsExactly("b/1", "b/2");
    assertThat(keys(kv.range(RangeRequest.between(utf8("a"), utf8("b/2")))))
        .containsExactly("a", "b", "b/1");
    assertThat(keys(kv.range(new RangeRequest(utf8("b/1"), Bytes.ZERO, 0, false))))
        .containsExactly("b/1", "b/2", "c");
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("a", "b", "b/1", "b/2", "c");
  }

  @Test
  void rangeLimitReportsWhetherMoreKeysExist() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    for (String key : List.of("a", "b", "c")) {
      kv.put(utf8(key), utf8("v"));
    }

    RangeResponse limited = kv.range(RangeRequest.all().withLimit(2));
    RangeResponse exact = kv.range(RangeRequest.all().withLimit(3));

    assertThat(keys(limited)).containsExactly("a", "b");
    assertThat(limited.more()).isTrue();
    assertThat(keys(exact)).containsExactly("a", "b", "c");
    assertThat(exact.more()).isFalse();
  }

  @Test
  void keysOnlyRangeLeavesValuesOut() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    kv.put(utf8("a"), utf8("value"));

    List<KeyValue> kvs = kv.range(RangeRequest.all().withKeysOnly()).kvs();

    assertThat(kvs).singleElement().satisfies(found -> {
      assertThat(found.key()).isEqualTo(utf8("a"));
      assertThat(found.value()).isEmpty();
      assertThat(found.version()).isEqualTo(1);
    });
  }

  @Test
  void rangeReadsAcrossPagesWithoutLosingOrRepeatingKeys() {
    KvBackend kv = open(EtcdKvConfig.of(etcd.endpoint())
        .withRangePaging(3, EtcdKvConfig.DEFAULT_MAX_RESPONSE_BYTES), KvLimits.DEFAULT);
    // Keys that differ only by trailing zero bytes test the "last key + \0" continuation.
    List<byte[]> keys = new ArrayList<>();
    keys.add(new byte[] {'p'});
    keys.add(new byte[] {'p', 0});
    keys.add(new byte[] {'p', 0, 0});
    IntStream.range(0, 10).forEach(i -> keys.add(utf8(String.format("p%02d", i))));
    keys.add(new byte[] {'p', (byte) 0xff});
    kv.batchPut(keys.stream().map(key -> KeyValue.of(key, key)).toList(), false);

    RangeResponse all = kv.range(RangeRequest.prefix(utf8("p")));
    RangeResponse firstSeven = kv.range(RangeRequest.prefix(utf8("p")).withLimit(7));
    RangeResponse exactlyAll = kv.range(RangeRequest.prefix(utf8("p")).withLimit(keys.size()));

    assertThat(all.kvs()).extracting(KeyValue::key).containsExactlyElementsOf(keys);
    assertThat(all.more()).isFalse();
    assertThat(firstSeven.kvs()).extracting(KeyValue::key)
        .containsExactlyElementsOf(keys.subList(0, 7));
    assertThat(firstSeven.more()).isTrue();
    assertThat(exactlyAll.kvs()).hasSize(keys.size());
    assertThat(exactlyAll.more()).isFalse();
  }

  @Test
  void rangeShrinksPagesThatExceedTheResponseSizeLimit() {
    // 40 values of 16 KiB do not fit one 64 KiB response; a page size of 10,000 would fail.
    KvBackend kv = open(EtcdKvConfig.of(etcd.endpoint()).withRangePaging(10_000, 64 * 1024),
        KvLimits.DEFAULT);
    byte[] value = new byte[16 * 1024];
    List<KeyValue> kvs = IntStream.range(0, 40)
        .mapToObj(i -> KeyValue.of(utf8(String.format("big/%02d", i)), value))
        .toList();
    kv.batchPut(kvs, false);

    RangeResponse all = kv.range(RangeRequest.prefix(utf8("big/")));

    assertThat(all.kvs()).containsExactlyElementsOf(kvs);
  }

  @Test
  void binaryKeysAndValuesRoundTripInUnsignedOrder() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    byte[] low = {0x01, 0x00};
    byte[] high = {(byte) 0x80, (byte) 0xff, 0x00};
    byte[] top = {(byte) 0xff, (byte) 0xff};
    kv.put(high, new byte[] {0, 1, 2, (byte) 0xfe});
    kv.put(top, new byte[0]);
    kv.put(low, new byte[] {(byte) 0xff});

    assertThat(kv.range(RangeRequest.all()).kvs()).extracting(KeyValue::key)
        .containsExactly(low, high, top);
    assertThat(kv.get(high).orElseThrow().value()).containsExactly(0, 1, 2, 0xfe);
    assertThat(kv.get(top).orElseThrow().value()).isEmpty();
    // A prefix of only 0xff bytes has no end: everything from it on.
    assertThat(kv.range(RangeRequest.prefix(new byte[] {(byte) 0xff})).kvs())
        .extracting(KeyValue::key).containsExactly(top);
  }

  @Test
  void batchGetReturnsFoundKeysInKeyOrderAcrossChunks() {
    KvBackend kv = newBackend(new KvLimits(4, 0));
    IntStream.range(0, 10).forEach(i -> kv.put(utf8("k" + i), utf8("v" + i)));

    List<KeyValue> found = kv.batchGet(List.of(utf8("k9"), utf8("missing"), utf8("k0"),
        utf8("k5"), utf8("k3"), utf8("k7"), utf8("k1"), utf8("k9")));

    assertThat(found).extracting(found1 -> utf8(found1.key()))
        .containsExactly("k0", "k1", "k3", "k5", "k7", "k9");
    assertThat(found.get(0).value()).isEqualTo(utf8("v0"));
  }

  @Test
  void batchPutLargerThanMaxTxnOpsIsWrittenInChunks() {
    KvBackend kv = newBackend(new KvLimits(4, 0));
    kv.put(utf8("k0"), utf8("old"));
    List<KeyValue> kvs = IntStream.range(0, 10)
        .mapToObj(i -> KeyValue.of(utf8("k" + i), utf8("new" + i)))
        .toList();

    List<KeyValue> previous = kv.batchPut(kvs, true);

    assertThat(previous).containsExactly(KeyValue.of(utf8("k0"), utf8("old")));
    assertThat(kv.range(RangeRequest.prefix(utf8("k"))).kvs()).containsExactlyElementsOf(kvs);
  }

  @Test
  void batchDeleteReturnsWhatItDeleted() {
    KvBackend kv = newBackend(new KvLimits(2, 0));
    IntStream.range(0, 5).forEach(i -> kv.put(utf8("k" + i), utf8("v" + i)));

    List<KeyValue> deleted = kv.batchDelete(
        List.of(utf8("k0"), utf8("k2"), utf8("k4"), utf8("missing")), true);

    assertThat(deleted).extracting(d -> utf8(d.key())).containsExactly("k0", "k2", "k4");
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("k1", "k3");
  }

  @Test
  void deleteRangeCountsAndReturnsDeletedKeys() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    for (String key : List.of("a", "b/1", "b/2", "c")) {
      kv.put(utf8(key), utf8("v"));
    }

    DeleteRangeResponse withPrev = kv.deleteRange(RangeRequest.prefix(utf8("b/")), true);
    DeleteRangeResponse single = kv.deleteRange(RangeRequest.single(utf8("a")), false);

    assertThat(withPrev.deleted()).isEqualTo(2);
    assertThat(withPrev.prevKvs()).extracting(d -> utf8(d.key())).containsExactly("b/1", "b/2");
    assertThat(single.deleted()).isEqualTo(1);
    assertThat(single.prevKvs()).isEmpty();
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("c");
  }

  // ---- compare-and-put and transactions

  @Test
  void compareAndPutOnAbsentKey() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);

    CompareAndPutResponse created = kv.compareAndPut(utf8("k"), null, utf8("v1"));
    CompareAndPutResponse refused = kv.compareAndPut(utf8("k"), null, utf8("v2"));

    assertThat(created.success()).isTrue();
    assertThat(created.prev()).isEmpty();
    assertThat(refused.success()).isFalse();
    assertThat(refused.prev()).contains(KeyValue.of(utf8("k"), utf8("v1")));
  }

  @Test
  void compareAndPutOnExpectedValue() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    kv.put(utf8("k"), utf8("v1"));

    CompareAndPutResponse stale = kv.compareAndPut(utf8("k"), utf8("other"), utf8("v2"));
    CompareAndPutResponse swapped = kv.compareAndPut(utf8("k"), utf8("v1"), utf8("v2"));
    CompareAndPutResponse onMissing = kv.compareAndPut(utf8("missing"), utf8("v1"), utf8("v2"));

    assertThat(stale.success()).isFalse();
    assertThat(stale.prev()).contains(KeyValue.of(utf8("k"), utf8("v1")));
    assertThat(swapped.success()).isTrue();
    assertThat(swapped.prev()).contains(KeyValue.of(utf8("k"), utf8("v1")));
    assertThat(onMissing.success()).isFalse();
    assertThat(onMissing.prev()).isEmpty();
    assertThat(kv.get(utf8("k")).orElseThrow().value()).isEqualTo(utf8("v2"));
  }

  @Test
  void valueComparesUseUnsignedBytesAndNeverMatchAMissingKey() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    kv.put(utf8("k"), new byte[] {(byte) 0x80});

    assertThat(holds(kv, Compare.value(utf8("k"), Compare.Op.GREATER, new byte[] {0x7f}))).isTrue();
    assertThat(holds(kv, Compare.value(utf8("k"), Compare.Op.LESS, new byte[] {(byte) 0x81})))
        .isTrue();
    assertThat(holds(kv, Compare.value(utf8("k"), Compare.Op.NOT_EQUAL, new byte[] {0x01})))
        .isTrue();
    assertThat(holds(kv, Compare.valueEquals(utf8("k"), new byte[] {(byte) 0x80}))).isTrue();
    assertThat(holds(kv, Compare.value(utf8("missing"), Compare.Op.NOT_EQUAL, utf8("x"))))
        .isFalse();
  }

  @Test
  void versionComparesTreatAMissingKeyAsVersionZero() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    kv.put(utf8("k"), utf8("v"));
    kv.put(utf8("k"), utf8("v"));

    assertThat(holds(kv, Compare.version(utf8("k"), Compare.Op.EQUAL, 2))).isTrue();
    assertThat(holds(kv, Compare.version(utf8("k"), Compare.Op.GREATER, 1))).isTrue();
    assertThat(holds(kv, Compare.version(utf8("k"), Compare.Op.LESS, 2))).isFalse();
    assertThat(holds(kv, Compare.version(utf8("k"), Compare.Op.NOT_EQUAL, 2))).isFalse();
    assertThat(holds(kv, Compare.version(utf8("missing"), Compare.Op.EQUAL, 0))).isTrue();
  }

  @Test
  void existenceComparesMatchEveryOperatorAndOperand() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    kv.put(utf8("present"), utf8("v"));
    KeyValue present = kv.get(utf8("present")).orElseThrow();

    for (Compare.Op op : Compare.Op.values()) {
      for (long operand = -1; operand <= 2; operand++) {
        Compare onPresent = new Compare(utf8("present"), Compare.Target.EXISTS, op, null, operand);
        Compare onAbsent = new Compare(utf8("absent"), Compare.Target.EXISTS, op, null, operand);
        assertThat(holds(kv, onPresent)).as(onPresent.toString())
            .isEqualTo(onPresent.holds(present));
        assertThat(holds(kv, onAbsent)).as(onAbsent.toString()).isEqualTo(onAbsent.holds(null));
      }
    }
    assertThat(holds(kv, Compare.exists(utf8("present")))).isTrue();
    assertThat(holds(kv, Compare.absent(utf8("present")))).isFalse();
  }

  @Test
  void txnRunsTheBranchTheComparesChooseAndAnswersEachOpInOrder() {
    KvBackend kv = newBackend(KvLimits.DEFAULT);
    kv.put(utf8("a"), utf8("1"));
    kv.put(utf8("d"), utf8("gone"));
    List<TxnOp> success = List.of(
        TxnOp.get(utf8("a")),
        TxnOp.put(utf8("a"), utf8("2")),
        TxnOp.delete(utf8("d")),
        TxnOp.get(utf8("missing")),
        TxnOp.put(utf8("b"), utf8("new")),
        TxnOp.delete(utf8("missing")));
    List<TxnOp> failure = List.of(TxnOp.get(utf8("a")));

    TxnResponse ran = kv.txn(Txn.when(List.of(Compare.valueEquals(utf8("a"), utf8("1"))),
        success, failure));
    TxnResponse refused = kv.txn(Txn.when(List.of(Compare.valueEquals(utf8("a"), utf8("1"))),
        success, failure));

    assertThat(ran.succeeded()).isTrue();
    assertThat(ran.responses()).containsExactly(
        new TxnOpResponse.Get(Optional.of(KeyValue.of(utf8("a"), utf8("1")))),
        new TxnOpResponse.Put(Optional.of(KeyValue.of(utf8("a"), utf8("1")))),
        new TxnOpResponse.Delete(Optional.of(KeyValue.of(utf8("d"), utf8("gone")))),
        new TxnOpResponse.Get(Optional.empty()),
        new TxnOpResponse.Put(Optional.empty()),
        new TxnOpResponse.Delete(Optional.empty()));
    assertThat(refused.succeeded()).isFalse();
    assertThat(refused.responses()).containsExactly(
        new TxnOpResponse.Get(Optional.of(KeyValue.of(utf8("a"), utf8("2")))));
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("a", "b");
  }

  // ---- limits

  @Test
  void oversizedTxnIsRefusedBeforeAnythingIsWritten() {
    KvBackend kv = newBackend(new KvLimits(3, 0));
    List<TxnOp> fourPuts = IntStream.range(0, 4)
        .mapToObj(i -> TxnOp.put(utf8("k" + i), utf8("v")))
        .toList();

    assertThatThrownBy(() -> kv.txn(Txn.of(fourPuts)))
        .isInstanceOfSatisfying(TxnTooLargeException.class, e -> {
          assertThat(e.ops()).isEqualTo(4);
          assertThat(e.maxTxnOps()).isEqualTo(3);
        });
    assertThatThrownBy(() -> kv.txn(Txn.when(List.of(), List.of(), fourPuts)))
        .isInstanceOf(TxnTooLargeException.class);
    assertThat(kv.range(RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void oversizedValuesAreRefusedBeforeAnythingIsWritten() {
    KvBackend kv = newBackend(new KvLimits(2, 8));
    byte[] nineBytes = new byte[9];
    List<KeyValue> batchWithLastTooLarge = List.of(KeyValue.of(utf8("k0"), utf8("ok")),
        KeyValue.of(utf8("k1"), utf8("ok")), KeyValue.of(utf8("k2"), nineBytes));

    assertThatThrownBy(() -> kv.put(utf8("k"), nineBytes))
        .isInstanceOfSatisfying(ValueTooLargeException.class, e -> {
          assertThat(e.key()).isEqualTo(utf8("k"));
          assertThat(e.size()).isEqualTo(9);
        });
    assertThatThrownBy(() -> kv.batchPut(batchWithLastTooLarge, false))
        .isInstanceOf(ValueTooLargeException.class);
    assertThatThrownBy(() -> kv.compareAndPut(utf8("k"), null, nineBytes))
        .isInstanceOf(ValueTooLargeException.class);
    assertThatThrownBy(() -> kv.txn(Txn.when(List.of(), List.of(),
        List.of(TxnOp.put(utf8("k"), nineBytes)))))
        .isInstanceOf(ValueTooLargeException.class);
    assertThat(kv.put(utf8("k"), new byte[8])).isEmpty();
    assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("k");
  }

  // ---- connections

  @Test
  void worksWhenOneOfSeveralEndpointsIsDead() throws Exception {
    String deadAddr = "127.0.0.1:" + unusedPort();
    String liveAddr = "127.0.0.1:" + etcd.clientPort();
    KvBackend kv = open(EtcdKvConfig.of(deadAddr + "," + liveAddr)
        .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(5)), KvLimits.DEFAULT);

    for (int i = 0; i < 20; i++) {
      kv.put(utf8("k" + i), utf8("v"));
      assertThat(kv.get(utf8("k" + i))).isPresent();
    }
  }

  @Test
  void movesToTheNextEndpointWhenTheOneInUseDies() {
    // two single-member clusters stand in for two members: which one answers shows in the data
    try (EtcdProcess first = EtcdProcess.start(); EtcdProcess second = EtcdProcess.start()) {
      KvBackend kv = open(EtcdKvConfig.of(first.endpoint() + "," + second.endpoint())
          .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(5)), KvLimits.DEFAULT);
      kv.put(utf8("on-first"), utf8("v"));

      first.stop();
      await("calls to go to the second endpoint")
          .atMost(Duration.ofSeconds(20))
          .ignoreException(KvUnavailableException.class)
          .untilAsserted(() -> assertThat(kv.get(utf8("on-first"))).isEmpty());
      kv.put(utf8("on-second"), utf8("v"));
      assertThat(kv.get(utf8("on-second"))).isPresent();
    }
  }

  @Test
  void aFullEtcdIsUnavailableNotAnInvalidRequest() {
    // A 1 MiB quota fills after a few values; etcd then refuses writes with its NOSPACE alarm,
    // RESOURCE_EXHAUSTED "etcdserver: mvcc: database space exceeded".
    try (EtcdProcess small = EtcdProcess.startWithFlags("--quota-backend-bytes=1048576")) {
      KvBackend kv = open(EtcdKvConfig.of(small.endpoint()), KvLimits.DEFAULT);
      byte[] value = new byte[200 * 1024];
      new Random(7).nextBytes(value); // incompressible, so the database grows by each value
      Throwable refused = null;
      // etcd sees its database grow when its backend commits (every 100 ms): a fast machine
      // wrote 50 values (10 MB) before that once, and none was refused
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (int i = 0; refused == null && System.nanoTime() < until; i++) {
        try {
          kv.put(utf8("fill/" + i), value);
        } catch (KvException e) {
          refused = e;
        }
      }
      assertThat(refused).as("a put into a full etcd")
          .isInstanceOf(KvUnavailableException.class)
          .hasMessageContaining("database space exceeded");
      assertThat(failureOf(kv.putAsync(utf8("after"), utf8("v"))))
          .isInstanceOf(KvUnavailableException.class);
      assertThat(kv.get(utf8("fill/0"))).as("reads still work").isPresent();
    }
  }

  private static Throwable failureOf(CompletableFuture<?> call) {
    return KvFutures.cause(catchThrowable(call::join));
  }

  @Test
  void failsFastWhenEtcdIsDownAndRecoversAfterRestart() {
    try (EtcdProcess own = EtcdProcess.start()) {
      Duration timeout = Duration.ofSeconds(1);
      KvBackend kv = open(EtcdKvConfig.of(own.endpoint())
          .withTimeouts(Duration.ofMillis(500), timeout), KvLimits.DEFAULT);
      kv.put(utf8("before"), utf8("v"));

      own.stop();
      long start = System.nanoTime();
      assertThatThrownBy(() -> kv.get(utf8("before")))
          .isInstanceOf(KvUnavailableException.class)
          .hasMessageContaining(own.endpoint().replace("http://", ""))
          .hasMessageContaining("get");
      assertThatThrownBy(() -> kv.put(utf8("during"), utf8("v")))
          .isInstanceOf(KvUnavailableException.class)
          .hasMessageContaining("put");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(timeout.multipliedBy(2).plusSeconds(1));

      own.restart();
      await("the same EtcdKv to work again after etcd restarted")
          .atMost(Duration.ofSeconds(20))
          .ignoreException(KvUnavailableException.class)
          .untilAsserted(() -> assertThat(kv.get(utf8("before"))).isPresent());
      kv.put(utf8("after"), utf8("v"));
      assertThat(keys(kv.range(RangeRequest.all()))).containsExactly("after", "before");
    }
  }

  @Test
  void authenticatesWithUsernameAndPassword() throws Exception {
    try (EtcdProcess own = EtcdProcess.start()) {
      enableAuth(own.endpoint(), "root", "s3cret");
      EtcdKvConfig config = EtcdKvConfig.of(own.endpoint())
          .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(5));

      KvBackend authenticated = open(config.withCredentials("root", "s3cret"), KvLimits.DEFAULT);
      KvBackend anonymous = EtcdKv.connect(config, KvLimits.DEFAULT);
      opened.add(anonymous);
      KvBackend wrongPassword = EtcdKv.connect(config.withCredentials("root", "wrong"),
          KvLimits.DEFAULT);
      opened.add(wrongPassword);

      authenticated.put(utf8("k"), utf8("v"));
      assertThat(authenticated.get(utf8("k"))).isPresent();
      // refused, not unavailable: retrying would not help
      assertThatThrownBy(() -> anonymous.get(utf8("k")))
          .isInstanceOf(KvException.class).isNotInstanceOf(KvUnavailableException.class);
      assertThatThrownBy(() -> wrongPassword.get(utf8("k")))
          .isInstanceOf(KvException.class).isNotInstanceOf(KvUnavailableException.class);
    }
  }

  @Test
  void authenticatesAgainWhenEtcdNoLongerKnowsTheToken() throws Exception {
    try (EtcdProcess own = EtcdProcess.start()) {
      enableAuth(own.endpoint(), "root", "s3cret");
      KvBackend kv = open(EtcdKvConfig.of(own.endpoint())
          .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(5))
          .withCredentials("root", "s3cret"), KvLimits.DEFAULT);
      kv.put(utf8("k"), utf8("v1"));

      // etcd keeps its simple tokens in memory: after a restart the token held is unknown
      own.restart();

      // a write, which is never retried for being unavailable, only for the refused token
      kv.put(utf8("k"), utf8("v2"));
      assertThat(kv.get(utf8("k")).orElseThrow().value()).isEqualTo(utf8("v2"));
    }
  }

  @Test
  void closedBackendRefusesCalls() {
    EtcdKv kv = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint()), KvLimits.DEFAULT);
    kv.close();

    assertThatThrownBy(() -> kv.get(utf8("k"))).isInstanceOf(KvException.class);
  }

  // ---- helpers

  private static boolean holds(KvBackend kv, Compare compare) {
    return kv.txn(Txn.when(List.of(compare), List.of(), List.of())).succeeded();
  }

  private static void enableAuth(String endpoint, String user, String password)
      throws Exception {
    ByteSequence name = ByteSequence.from(user, StandardCharsets.UTF_8);
    try (Client client = Client.builder().endpoints(endpoint).build()) {
      Auth auth = client.getAuthClient();
      auth.userAdd(name, ByteSequence.from(password, StandardCharsets.UTF_8)).get();
      auth.roleAdd(name).get();
      auth.userGrantRole(name, name).get();
      auth.authEnable().get();
    }
  }

  private static int unusedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
