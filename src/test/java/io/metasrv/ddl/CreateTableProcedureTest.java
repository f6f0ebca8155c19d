package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.region.CreateRequest;
import io.metasrv.protocol.region.RegionColumnDef;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.protocol.v1.TableId;
import io.metasrv.testing.ForwardingKv;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CREATE TABLE through the DDL manager: GreptimeDB's bytes, requests, retries and refusals. */
class CreateTableProcedureTest {
  private static final String RAFT = "{\\\"wal.provider\\\":\\\"raft_engine\\\"}";
  private DdlHarness harness;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private DdlHarness harness(int datanodes) {
    harness = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), datanodes);
    return harness;
  }

  private static DdlManager.Result run(DdlHarness harness, DdlTaskRequest request)
      throws Exception {
    return harness.ddl.submit(request).get(30, TimeUnit.SECONDS);
  }

  @Test
  void writesTheMetadataAFrontendAndADatanodeRead() throws Exception {
    DdlHarness h = harness(1);
    DdlManager.Result result = run(h, DdlTasksFixture.createTable("t"));

    assertThat(result.tableIds()).containsExactly(1024L);
    assertThat(h.metadata()).containsExactly(
        Map.entry("__dn_table/1/1024", "{\"table_id\":1024,\"regions\":[0],\"engine\":\"mito\","
            + "\"region_storage_path\":\"greptime/public\",\"region_options\":{},"
            + "\"region_wal_options\":{\"0\":\"" + RAFT + "\"},\"version\":0}"),
        Map.entry("__table_info/1024", "{\"table_info\":"
            + String.format(DdlTasksFixture.TABLE_INFO, "t", "public")
                .replace("\"table_id\":0", "\"table_id\":1024")
                .replace("\"region_numbers\":[]", "\"region_numbers\":[0]")
            + ",\"version\":0}"),
        Map.entry("__table_name/greptime/public/t", "{\"table_id\":1024}"),
        Map.entry("__table_route/1024", "{\"type\":\"physical\",\"region_routes\":[{\"region\":"
            + "{\"id\":4398046511104,\"name\":\"\",\"partition\":{\"column_list\":[],"
            + "\"value_list\":[\"\\\"MaxValue\\\"\"]},\"attrs\":{}},\"leader_peer\":{\"id\":1,"
            + "\"addr\":\"10.0.0.5:3001\"},\"follower_peers\":[],\"leader_down_since\":null}],"
            + "\"version\":0}"));
    assertThat(h.invalidations).as("GreptimeDB broadcasts nothing after CREATE").isEmpty();
    assertThat(h.keeper.size()).as("guards released").isZero();
    assertThat(h.procedures.list()).singleElement().satisfies(info -> {
      assertThat(info.typeName()).isEqualTo("metasrv-procedure::CreateTable");
      assertThat(info.lockKeys()).containsExactly("Share(\"__catalog_lock/greptime\")",
          "Share(\"__schema_lock/greptime.public\")",
          "Exclusive(\"__table_name_lock/greptime.public.t\")");
    });
  }

  @Test
  void sendsOneCreatePerRegionAsGreptimeDbBuildsIt() throws Exception {
    DdlHarness h = harness(1);
    run(h, DdlTasksFixture.createTable("t"));

    List<RegionRequest> creates = h.regions.requests(RegionRequest.BodyCase.CREATE);
    assertThat(creates).hasSize(1);
    assertThat(creates.get(0).hasHeader()).isTrue();
    CreateRequest create = creates.get(0).getCreate();
    assertThat(create.getRegionId()).isEqualTo(4398046511104L);
    assertThat(create.getEngine()).isEqualTo("mito");
    assertThat(create.getPath()).isEqualTo("greptime/public");
    assertThat(create.getPrimaryKeyList()).containsExactly(1);
    assertThat(create.getOptionsMap())
        .containsExactly(Map.entry("wal_options", "{\"wal.provider\":\"raft_engine\"}"));
    assertThat(create.getColumnDefsList()).extracting(RegionColumnDef::getColumnId)
        .containsExactly(0, 1, 2);
    assertThat(create.getColumnDefsList()).extracting(def -> def.getColumnDef().getSemanticType())
        .containsExactly(SemanticType.TIMESTAMP, SemanticType.TAG, SemanticType.FIELD);
    assertThat(create.getColumnDefs(2).getColumnDef().getComment()).isEmpty();
  }

  @Test
  void partitionsBecomeRegionsLedByTheSelectedDatanodesInTurn() throws Exception {
    DdlHarness h = harness(2);
    run(h, DdlTaskRequest.newBuilder(DdlTasksFixture.createTable("t"))
        .setCreateTableTask(DdlTasksFixture.createTableTask(
            DdlTasksFixture.createTableExpr("public", "t"), "a", "b", "c")).build());

    assertThat(h.metadata().get("__dn_table/1/1024")).contains("\"regions\":[0,2]")
        .contains("\"region_wal_options\":{\"0\":\"" + RAFT + "\",\"1\":\"" + RAFT + "\",\"2\":");
    assertThat(h.metadata().get("__dn_table/2/1024")).contains("\"regions\":[1]");
    assertThat(h.metadata().get("__table_info/1024")).contains("\"region_numbers\":[0,1,2]");
    assertThat(h.regions.received).extracting(r -> r.peer().id()).containsOnly(1L, 2L);
  }

  @Test
  void theMetadataTransactionAlsoDeletesTheProcedureRecords() throws Exception {
    SimpleMeterRegistry calls = new SimpleMeterRegistry();
    MemoryKv store = new MemoryKv();
    harness = new DdlHarness(new MeteredKv(store, calls), new RecordingRegionServer(), 1);

    run(harness, DdlTasksFixture.createTable("t"));

    assertThat(store.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs()).isEmpty();
    // the name lookup; Prepare's step (DatanodeCreateRegions' is not stored); the table id
    // range; one transaction: no commit record
    assertThat(calls(calls, "get")).isEqualTo(1);
    assertThat(calls(calls, "put")).isEqualTo(1);
    assertThat(calls(calls, "compare_and_put")).isEqualTo(1);
    assertThat(calls(calls, "txn")).isEqualTo(1);
    assertThat(calls(calls, "range")).isEqualTo(1); // the manager's recovery scan at start
    assertThat(calls(calls, "batch_delete")).isZero();
  }

  /**
   * A name the store answered free at once: the datanodes create the regions while Prepare's
   * step is being stored. A task naming its own table id, or a name the store has not answered
   * yet, waits for the step first.
   */
  @Test
  void regionsAreCreatedWhilePreparesStepIsStoredWhenTheNameIsKnownFree() throws Exception {
    HeldStepWrites store = new HeldStepWrites(new MemoryKv());
    harness = new DdlHarness(store, new RecordingRegionServer(), 2);
    DdlTaskRequest fromTheSequence = DdlTasksFixture.request().setCreateTableTask(
        DdlTasksFixture.createTableTask(DdlTasksFixture.createTableExpr("public", "t"), "a", "b"))
        .build();

    var created = harness.ddl.submit(fromTheSequence);
    assertThat(store.stepWriteHeld.await(30, TimeUnit.SECONDS)).isTrue();
    await("Creates sent while the step is being stored").atMost(Duration.ofSeconds(30))
        .until(() -> harness.regions.requests(RegionRequest.BodyCase.CREATE).size() == 2);
    store.release.countDown();
    assertThat(created.get(30, TimeUnit.SECONDS).tableIds()).containsExactly(1024L);
    assertThat(harness.regions.requests(RegionRequest.BodyCase.CREATE)).hasSize(2);
    assertThat(harness.metadata()).containsKey("__table_route/1024");
  }

  @Test
  void aTaskNamingItsTableIdCreatesRegionsOnlyAfterPreparesStepIsStored() throws Exception {
    HeldStepWrites store = new HeldStepWrites(new MemoryKv());
    harness = new DdlHarness(store, new RecordingRegionServer(), 1);

    var created = harness.ddl.submit(withExpr(DdlTasksFixture.createTableExpr("public", "t")
        .setTableId(TableId.newBuilder().setId(1000))));
    assertThat(store.stepWriteHeld.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(harness.regions.received).isEmpty();
    store.release.countDown();
    assertThat(created.get(30, TimeUnit.SECONDS).tableIds()).containsExactly(1000L);
    assertThat(harness.regions.requests(RegionRequest.BodyCase.CREATE)).hasSize(1);
  }

  @Test
  void aNameNotYetAnsweredWhenPrepareEndsCreatesRegionsOnlyAfterPreparesStepIsStored()
      throws Exception {
    HeldStepWrites store = new HeldStepWrites(new MemoryKv()) {
      @Override
      public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
        // answered only once the step's write may go on: after Prepare has ended
        return CompletableFuture.supplyAsync(() -> {
          awaitRelease();
          return delegate.get(key);
        });
      }
    };
    harness = new DdlHarness(store, new RecordingRegionServer(), 1);

    var created = harness.ddl.submit(DdlTasksFixture.createTable("t"));
    assertThat(store.stepWriteHeld.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(harness.regions.received).isEmpty();
    store.release.countDown();
    assertThat(created.get(30, TimeUnit.SECONDS).tableIds()).containsExactly(1024L);
    assertThat(harness.regions.requests(RegionRequest.BodyCase.CREATE)).hasSize(1);
  }

  /** A store whose first write of a procedure record waits until {@code release}. */
  private static class HeldStepWrites extends ForwardingKv {
    final CountDownLatch stepWriteHeld = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    HeldStepWrites(KvBackend delegate) {
      super(delegate);
    }

    void awaitRelease() {
      try {
        assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Optional<KeyValue> put(byte[] key, byte[] value) {
      if (Bytes.utf8(key).startsWith("/__procedure__/") && stepWriteHeld.getCount() > 0) {
        stepWriteHeld.countDown();
        awaitRelease();
      }
      return super.put(key, value);
    }
  }

  private static double calls(SimpleMeterRegistry registry, String op) {
    return registry.get(MeteredKv.METER).tag("op", op).tag("outcome", "success").timer()
        .count();
  }

  @Test
  void anExistingTableIsAnErrorUnlessCreateIfNotExists() throws Exception {
    DdlHarness h = harness(1);
    run(h, DdlTasksFixture.createTable("t"));
    Map<String, String> before = h.metadata();

    assertThatThrownBy(() -> run(h, DdlTasksFixture.createTable("t")))
        .cause().isInstanceOf(DdlException.class)
        .hasMessage("Table already exists: `greptime.public.t`")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4000);
    DdlTaskRequest ifNotExists = DdlTaskRequest.newBuilder(DdlTasksFixture.createTable("t"))
        .setCreateTableTask(DdlTasksFixture.createTableTask(
            DdlTasksFixture.createTableExpr("public", "t").setCreateIfNotExists(true))).build();
    assertThat(run(h, ifNotExists).tableIds()).containsExactly(1024L);
    assertThat(h.metadata()).isEqualTo(before);
    assertThat(h.regions.received).hasSize(1);
    assertThat(h.kv.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs()).isEmpty();
  }

  @Test
  void anUnreachableDatanodeIsRetriedAndRegionsAreCreatedAgain() throws Exception {
    DdlHarness h = harness(1);
    h.regions.failNext(RegionServerException.Kind.RETRYABLE, 2);

    assertThat(run(h, DdlTasksFixture.createTable("t")).tableIds()).containsExactly(1024L);
    assertThat(h.retryDelays).hasSize(2);
    assertThat(h.regions.requests(RegionRequest.BodyCase.CREATE)).hasSize(3);
    assertThat(h.metadata()).containsKey("__table_route/1024");
  }

  @Test
  void aDatanodeThatRefusesFailsTheCreateWithItsCodeAndNothingIsWritten() {
    DdlHarness h = harness(1);
    h.regions.failNext(RegionServerException.Kind.FAILED, 1);

    assertThatThrownBy(() -> run(h, DdlTasksFixture.createTable("t")))
        .cause().isInstanceOf(DdlException.class)
        .hasMessageContaining("told to fail")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4006);
    assertThat(h.metadata()).isEmpty();
    assertThat(h.keeper.size()).isZero();
  }

  @Test
  void badTasksAreRefusedWithGreptimeDbCodesAndNothingIsWritten() {
    DdlHarness h = harness(1);
    assertRefused(h, DdlTaskRequest.newBuilder(DdlTasksFixture.createTable("t"))
        .clearQueryContext().build(), 1004, "Missing required parameter, param: query_context");
    assertRefused(h, DdlTasksFixture.createTable("1t"), 1004, "Invalid table name '1t'");
    assertRefused(h, withExpr(DdlTasksFixture.createTableExpr("public", "t").setEngine("innodb")),
        1004, "Unsupported table engine 'innodb'");
    assertRefused(h, withExpr(DdlTasksFixture.createTableExpr("public", "t")
            .addColumnDefs(DdlTasksFixture.createTableExpr("public", "t").getColumnDefs(1))),
        1004, "Duplicate column name host");
    assertRefused(h, withExpr(DdlTasksFixture.createTableExpr("public", "t").setTimeIndex("x")),
        1004, "Time index column 'x'");
    assertRefused(h, DdlTaskRequest.newBuilder(DdlTasksFixture.createTable("t"))
        .setCreateTableTask(CreateTableTask.newBuilder(
            DdlTasksFixture.createTableTask(DdlTasksFixture.createTableExpr("public", "t")))
            .clearPartitions()).build(),
        1004, "The number of partitions must be greater than 0");
    assertRefused(h, DdlTaskRequest.newBuilder(DdlTasksFixture.dropTable("public", "t", 1024))
        .setDropTableTask(io.metasrv.protocol.DropTableTask.newBuilder().setDropTable(
            DdlTasksFixture.dropTable("public", "t", 1024).getDropTableTask().getDropTable()
                .toBuilder().clearTableId())).build(), 1004, "expected table_id");
    assertRefused(h, DdlTasksFixture.request().setCreateViewTask(
        io.metasrv.protocol.CreateViewTask.getDefaultInstance()).build(), 1001,
        "DDL task create_view_task is not supported yet");
    assertThat(h.kv.range(io.metasrv.kv.RangeRequest.all()).kvs()).isEmpty();
  }

  @Test
  void aTableIdFromTheSequenceRangeIsRefused() {
    DdlHarness h = harness(1);
    DdlTaskRequest request = withExpr(DdlTasksFixture.createTableExpr("public", "t")
        .setTableId(TableId.newBuilder().setId(2000)));

    assertThatThrownBy(() -> run(h, request)).cause().isInstanceOf(DdlException.class)
        .hasMessage("create table by id 2000 that is reserved in this node")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(1001);
    assertThat(h.metadata()).isEmpty();
  }

  @Test
  void eachKindIsTimedWithItsResult() throws Exception {
    DdlHarness h = harness(1);
    run(h, DdlTasksFixture.createTable("t"));
    assertThatThrownBy(() -> run(h, DdlTasksFixture.createTable("t")))
        .isInstanceOf(java.util.concurrent.ExecutionException.class);

    assertThat(h.registry.get("metasrv.ddl").tags("kind", "create_table_task", "result", "ok")
        .timer().count()).isEqualTo(1);
    assertThat(h.registry.get("metasrv.ddl").tags("kind", "create_table_task", "result", "error")
        .timer().count()).isEqualTo(1);
  }

  private static DdlTaskRequest withExpr(io.metasrv.protocol.v1.CreateTableExpr.Builder expr) {
    return DdlTasksFixture.request().setCreateTableTask(DdlTasksFixture.createTableTask(expr))
        .build();
  }

  private static void assertRefused(DdlHarness h, DdlTaskRequest request, int code,
      String message) {
    assertThatThrownBy(() -> h.ddl.submit(request)).isInstanceOf(DdlException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(code);
  }

  static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException ? e.getCause() : e;
  }
}
