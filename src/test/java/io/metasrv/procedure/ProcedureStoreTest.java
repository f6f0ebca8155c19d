package io.metasrv.procedure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.RangeRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Keys, JSON and segments of procedure records, as GreptimeDB stores them (reference §1.2). */
class ProcedureStoreTest {
  private static final ProcedureId ID = ProcedureId.parse("9f805a1f-05f7-490c-9f91-bd56e3cc54c1");
  private static final String DIR = "/__procedure__/procedure/9f805a1f-05f7-490c-9f91-bd56e3cc54c1/";

  private final MemoryKv kv = new MemoryKv(new KvLimits(128, 1500L * 1024));

  @Test
  void keysFollowGreptimeDbsLayout() {
    assertThat(ProcedureStore.key(ID, 2, ProcedureStore.RecordType.STEP))
        .isEqualTo(DIR + "0000000002.step");
    assertThat(ProcedureStore.key(ID, 4294967295L, ProcedureStore.RecordType.COMMIT))
        .isEqualTo(DIR + "4294967295.commit");
    assertThat(ProcedureStore.key(ID, 0, ProcedureStore.RecordType.ROLLBACK))
        .isEqualTo(DIR + "0000000000.rollback");
    assertThat(ProcedureStore.segmentKey(DIR + "0000000002.step", 3))
        .isEqualTo(DIR + "0000000002.step/0000000003");
  }

  @Test
  void procedureIdTextIsHyphenatedLowercase() {
    assertThat(ProcedureId.parse("9F805A1F-05F7-490C-9F91-BD56E3CC54C1")).isEqualTo(ID)
        .hasToString("9f805a1f-05f7-490c-9f91-bd56e3cc54c1");
    assertThatThrownBy(() -> ProcedureId.parse("1-1-1-1-1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcedureId.parse("9f805a1f05f7490c9f91bd56e3cc54c1"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void messageJsonIsSerdeJsonsText() {
    ProcedureMessage noParent = ProcedureMessage.step("TestMessage", "no parent id", 4);
    ProcedureMessage withParent = new ProcedureMessage("TestMessage", "no parent id",
        Optional.of(ID), 4, Optional.empty());
    ProcedureMessage rollback = ProcedureMessage.rollback("metasrv-procedure::RegionMigration",
        "{\"region_id\":4398046511105,\"note\":\"a\\\"b\"}", 7,
        "Failed to execute procedure due to external error");

    assertThat(text(noParent.toJson())).isEqualTo(
        "{\"type_name\":\"TestMessage\",\"data\":\"no parent id\",\"parent_id\":null,\"step\":4}");
    assertThat(text(withParent.toJson())).isEqualTo("{\"type_name\":\"TestMessage\","
        + "\"data\":\"no parent id\",\"parent_id\":\"9f805a1f-05f7-490c-9f91-bd56e3cc54c1\","
        + "\"step\":4}");
    assertThat(text(rollback.toJson())).isEqualTo(
        "{\"type_name\":\"metasrv-procedure::RegionMigration\","
            + "\"data\":\"{\\\"region_id\\\":4398046511105,\\\"note\\\":\\\"a\\\\\\\"b\\\"}\","
            + "\"parent_id\":null,\"step\":7,"
            + "\"error\":\"Failed to execute procedure due to external error\"}");
    // serde_json: short escapes where JSON has them, lowercase \\u00xx otherwise, UTF-8 as is
    assertThat(text(ProcedureMessage.step("t", "\n\t\u001f\u007fé/", 0).toJson()))
        .isEqualTo("{\"type_name\":\"t\",\"data\":\"\\n\\t\\u001f\u007fé/\",\"parent_id\":null,"
            + "\"step\":0}");
  }

  @Test
  void messagesReadBackWithSerdesRules() {
    ProcedureMessage rollback = ProcedureMessage.rollback("T", "{}", 3, "boom");
    assertThat(ProcedureMessage.fromJson(rollback.toJson())).isEqualTo(rollback);
    assertThat(ProcedureMessage.fromJson(Bytes.utf8(
        "{\"type_name\":\"T\",\"data\":\"d\",\"step\":1,\"extra\":true}")))
        .isEqualTo(ProcedureMessage.step("T", "d", 1));

    for (String bad : List.of("", "[]", "{\"type_name\":\"T\",\"data\":\"d\"}",
        "{\"type_name\":\"T\",\"data\":\"d\",\"step\":-1}",
        "{\"type_name\":\"T\",\"data\":\"d\",\"step\":4294967296}",
        "{\"type_name\":\"T\",\"data\":{},\"step\":1}",
        "{\"type_name\":\"T\",\"data\":\"d\",\"step\":1,\"parent_id\":\"x\"}")) {
      assertThatThrownBy(() -> ProcedureMessage.fromJson(Bytes.utf8(bad)))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void commitValueIsEmptyAndScanKeepsTheNewestRecordOfEachProcedure() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 0);
    ProcedureId other = ProcedureId.parse("00000000-0000-4000-8000-000000000001");
    store.putStep(ID, 0, ProcedureMessage.step("T", "s0", 0));
    store.putStep(ID, 1, ProcedureMessage.step("T", "s1", 1));
    store.putStep(other, 0, ProcedureMessage.step("T", "o0", 0));
    store.putCommit(other, 1);

    assertThat(kv.get(Bytes.utf8(ProcedureStore.key(other, 1,
        ProcedureStore.RecordType.COMMIT))).orElseThrow().value()).isEmpty();
    ProcedureStore.Scan scan = store.scan();
    assertThat(scan.newest()).extracting(ProcedureStore.StoredRecord::id,
            ProcedureStore.StoredRecord::step, ProcedureStore.StoredRecord::type)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(other, 1L, ProcedureStore.RecordType.COMMIT),
            org.assertj.core.groups.Tuple.tuple(ID, 1L, ProcedureStore.RecordType.STEP));
    assertThat(scan.newest().get(1).message().orElseThrow().data()).isEqualTo("s1");
    assertThat(scan.corrupt()).isEmpty();
  }

  @Test
  void onAStepTieTheCommitOrRollbackRecordWins() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 0);
    store.putStep(ID, 3, ProcedureMessage.step("T", "s3", 3));
    store.putRollback(ID, 3, ProcedureMessage.rollback("T", "r3", 3, "boom"));

    assertThat(store.scan().newest()).singleElement()
        .satisfies(r -> assertThat(r.type()).isEqualTo(ProcedureStore.RecordType.ROLLBACK));
  }

  @Test
  void valuesAboveTheLimitAreSplitIntoSegmentsAndMergedBack() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 40);
    ProcedureMessage big = ProcedureMessage.step("T", "x".repeat(100), 0);
    byte[] json = big.toJson();
    store.putStep(ID, 0, big);

    List<KeyValue> stored = kv.range(RangeRequest.prefix(Bytes.utf8(DIR))).kvs();
    assertThat(stored).extracting(kv -> Bytes.utf8(kv.key())).containsExactly(
        DIR + "0000000000.step", DIR + "0000000000.step/0000000001",
        DIR + "0000000000.step/0000000002", DIR + "0000000000.step/0000000003");
    assertThat(stored).allSatisfy(kv -> assertThat(kv.value().length).isLessThanOrEqualTo(40));
    assertThat(stored.stream().mapToInt(kv -> kv.value().length).sum()).isEqualTo(json.length);
    assertThat(store.scan().newest()).singleElement()
        .satisfies(r -> assertThat(r.message()).contains(big));
  }

  @Test
  void aMissingMiddleSegmentIsReportedAsCorrupted() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 40);
    ProcedureId fine = ProcedureId.parse("00000000-0000-4000-8000-000000000001");
    store.putStep(ID, 0, ProcedureMessage.step("T", "x".repeat(100), 0));
    store.putStep(fine, 0, ProcedureMessage.step("T", "ok", 0));
    kv.batchDelete(List.of(Bytes.utf8(DIR + "0000000000.step/0000000002")), false);

    ProcedureStore.Scan scan = store.scan();

    assertThat(scan.corrupt()).singleElement().satisfies(c -> {
      assertThat(c.key()).isEqualTo(DIR + "0000000000.step");
      assertThat(c.reason()).isEqualTo("Corrupted segment keys, parsed segment indexes: [1, 3]");
    });
    assertThat(scan.newest()).extracting(ProcedureStore.StoredRecord::id).containsExactly(fine);
  }

  @Test
  void overwritingWithAShorterValueRemovesTheOldSegments() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 64);
    store.putStep(ID, 2, ProcedureMessage.step("T", "x".repeat(200), 2));
    ProcedureMessage small = ProcedureMessage.step("T", "y", 2);
    store.putStep(ID, 2, small);

    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8(DIR))).kvs())
        .extracting(kv -> Bytes.utf8(kv.key())).containsExactly(DIR + "0000000002.step");
    assertThat(store.scan().newest()).singleElement()
        .satisfies(r -> assertThat(r.message()).contains(small));
  }

  @Test
  void segmentsWithoutTheirKeyAreIgnoredSoTheOlderStepIsNewest() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 40);
    store.putStep(ID, 0, ProcedureMessage.step("T", "s0", 0));
    // a write of step 1 cut short after its segments, before its key
    kv.put(Bytes.utf8(DIR + "0000000001.step/0000000001"), Bytes.utf8("tail"));

    ProcedureStore.Scan scan = store.scan();

    assertThat(scan.newest()).singleElement().satisfies(r -> assertThat(r.step()).isZero());
    assertThat(scan.unknownKeys()).containsExactly(DIR + "0000000001.step/0000000001");
  }

  @Test
  void deleteRemovesEveryKeyOfTheProcedureOnly() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 64);
    ProcedureId other = ProcedureId.parse("00000000-0000-4000-8000-000000000001");
    store.putStep(ID, 0, ProcedureMessage.step("T", "x".repeat(200), 0));
    store.putStep(ID, 1, ProcedureMessage.step("T", "s1", 1));
    store.putRollback(ID, 2, ProcedureMessage.rollback("T", "r", 2, "boom"));
    store.putStep(other, 0, ProcedureMessage.step("T", "o", 0));

    store.delete(ID);

    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8(ProcedureStore.PREFIX))).kvs())
        .extracting(kv -> Bytes.utf8(kv.key()))
        .containsExactly(ProcedureStore.key(other, 0, ProcedureStore.RecordType.STEP));
  }

  @Test
  void aNewProceduresWriterNeitherReadsBeforeWritingNorScansToDelete() {
    SimpleMeterRegistry calls = new SimpleMeterRegistry();
    ProcedureStore store = new ProcedureStore(new GroupCommit(new MeteredKv(kv, calls)), 64);
    ProcedureId other = ProcedureId.parse("00000000-0000-4000-8000-000000000001");
    store.putStep(other, 0, ProcedureMessage.step("T", "o", 0));
    ProcedureStore.Writer writer = store.writer(ID, true);
    double rangesBefore = calls("range", calls);

    writer.putStep(0, ProcedureMessage.step("T", "x".repeat(200), 0));
    writer.putStep(1, ProcedureMessage.step("T", "s1", 1));
    writer.putCommit(2);
    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8(DIR))).kvs()).hasSize(6); // 4 chunks
    writer.deleteAll();

    assertThat(calls("range", calls)).isEqualTo(rangesBefore);
    assertThat(calls("txn", calls)).isEqualTo(1);
    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8(ProcedureStore.PREFIX))).kvs())
        .extracting(kv -> Bytes.utf8(kv.key()))
        .containsExactly(ProcedureStore.key(other, 0, ProcedureStore.RecordType.STEP));
  }

  @Test
  void aWriterLooksForStaleSegmentsWhereAnEarlierWriteMayHaveLeftThem() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 64);
    ProcedureStore.Writer fresh = store.writer(ID, true);
    fresh.putStep(0, ProcedureMessage.step("T", "x".repeat(200), 0));
    fresh.putStep(0, ProcedureMessage.step("T", "y", 0)); // the same key again
    // an earlier leader's longer step 1, then the recovered procedure's own
    store.putStep(ID, 1, ProcedureMessage.step("T", "x".repeat(200), 1));
    ProcedureStore.Writer recovered = store.writer(ID, false);
    ProcedureMessage small = ProcedureMessage.step("T", "z", 1);
    recovered.putStep(1, small);

    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8(DIR))).kvs())
        .extracting(kv -> Bytes.utf8(kv.key()))
        .containsExactly(DIR + "0000000000.step", DIR + "0000000001.step");
    assertThat(store.writer(ID, true).deletions()).hasValueSatisfying(
        deletes -> assertThat(deletes).isEmpty());
    assertThat(recovered.deletions()).isEmpty();
    recovered.deleteAll();
    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8(DIR))).kvs()).isEmpty();
  }

  private static double calls(String op, SimpleMeterRegistry registry) {
    return registry.get(MeteredKv.METER).tag("op", op).tag("outcome", "success").timer()
        .count();
  }

  @Test
  void scanReadsPastOnePageOfKeys() {
    ProcedureStore store = new ProcedureStore(new GroupCommit(kv), 0);
    for (int i = 0; i < 300; i++) {
      store.putStep(ProcedureId.random(), 0, ProcedureMessage.step("T", "d" + i, 0));
    }

    assertThat(store.scan().newest()).hasSize(300);
  }

  private static String text(byte[] json) {
    return new String(json, StandardCharsets.UTF_8);
  }
}
