package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.procedure.ProcedureId;
import io.metasrv.procedure.ProcedureStateKind;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.DropColumn;
import io.metasrv.protocol.v1.DropColumns;
import io.metasrv.testing.EtcdProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A leader that stops in the middle of a DDL: the next leader loads the procedure from its last
 * stored step, with GreptimeDB's persisted data, and finishes it once.
 */
class DdlRecoveryTest {
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private DdlHarness leader(KvBackend kv, RecordingRegionServer regions) {
    DdlHarness harness = new DdlHarness(kv, regions, 1);
    closing.add(harness);
    return harness;
  }

  @Test
  void aCreateStoppedWhileCreatingRegionsIsFinishedByTheNextLeader() throws Exception {
    createStoppedWhileCreatingRegionsIsFinishedByTheNextLeader(new MemoryKv());
  }

  @Test
  void aCreateStoppedWhileCreatingRegionsIsFinishedByTheNextLeaderOnEtcd() throws Exception {
    EtcdKv etcd = EtcdKv.connect(EtcdKvConfig.of(EtcdProcess.shared().endpoint()),
        KvLimits.DEFAULT);
    closing.add(etcd);
    createStoppedWhileCreatingRegionsIsFinishedByTheNextLeader(
        ChrootKv.wrap(Bytes.utf8("ddl-recovery-" + UUID.randomUUID() + "/"), etcd));
  }

  private void createStoppedWhileCreatingRegionsIsFinishedByTheNextLeader(KvBackend kv)
      throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    RecordingRegionServer oldRegions = heldUntil(entered, gate);
    DdlHarness old = leader(kv, oldRegions);
    var answer = old.ddl.submit(DdlTasksFixture.createTable("t"));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
    // the Creates went out while Prepare's step was being stored
    await().atMost(Duration.ofSeconds(30)).until(() -> !kv.range(
        RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs().isEmpty());

    JsonNode stored = storedData(kv);
    assertThat(stored.path("type_name").asText()).isEqualTo("metasrv-procedure::CreateTable");
    JsonNode data = SerdeJson.readTree(Bytes.utf8(stored.path("data").asText()), "data");
    assertThat(data.toString()).isEqualTo("{\"state\":\"DatanodeCreateRegions\",\"task\":\""
        + data.path("task").asText() + "\",\"table_route\":{\"region_routes\":[{\"region\":"
        + "{\"id\":4398046511104,\"name\":\"\",\"partition\":{\"column_list\":[],\"value_list\":"
        + "[\"\\\"MaxValue\\\"\"]},\"attrs\":{}},\"leader_peer\":{\"id\":1,\"addr\":"
        + "\"10.0.0.5:3001\"},\"follower_peers\":[],\"leader_down_since\":null}],\"version\":0},"
        + "\"region_wal_options\":{\"0\":\"{\\\"wal.provider\\\":\\\"raft_engine\\\"}\"}}");
    CreateTableTask task = CreateTableTask.parseFrom(
        Base64.getDecoder().decode(data.path("task").asText()));
    assertThat(task.getCreateTable().getTableId().getId()).isEqualTo(1024);
    assertThat(task.getTableInfo().toStringUtf8()).contains("\"ident\":{\"table_id\":1024,");

    old.procedures.stop();
    assertThat(answer.handle((result, error) -> error).get(30, TimeUnit.SECONDS))
        .hasMessageContaining("Procedure Manager is stopped");

    RecordingRegionServer newRegions = new RecordingRegionServer();
    DdlHarness next = finishedByNextLeader(kv, newRegions);
    gate.countDown();

    assertThat(newRegions.requests(RegionRequest.BodyCase.CREATE))
        .extracting(r -> r.getCreate().getRegionId()).containsExactly(4398046511104L);
    Map<String, String> metadata = next.metadata();
    assertThat(metadata.keySet()).containsExactlyInAnyOrder("__dn_table/1/1024",
        "__table_info/1024", "__table_name/greptime/public/t", "__table_route/1024");
    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs()).isEmpty();
  }

  @Test
  void aDropStoppedWhileDroppingRegionsIsFinishedByTheNextLeader() throws Exception {
    KvBackend kv = new MemoryKv();
    DdlHarness creator = leader(kv, new RecordingRegionServer());
    creator.ddl.submit(DdlTasksFixture.createTable("t")).get(30, TimeUnit.SECONDS);
    creator.procedures.stop();

    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    RecordingRegionServer oldRegions = heldUntil(entered, gate);
    DdlHarness old = leader(kv, oldRegions);
    old.ddl.submit(DdlTasksFixture.dropTable("public", "t", 1024));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
    JsonNode data = SerdeJson.readTree(Bytes.utf8(storedData(kv).path("data").asText()), "data");
    assertThat(data.toString()).isEqualTo("{\"state\":\"DatanodeDropRegions\",\"task\":{"
        + "\"catalog\":\"greptime\",\"schema\":\"public\",\"table\":\"t\",\"table_id\":1024,"
        + "\"drop_if_exists\":false},\"physical_region_routes\":[{\"region\":{\"id\":"
        + "4398046511104,\"name\":\"\",\"partition\":{\"column_list\":[],\"value_list\":"
        + "[\"\\\"MaxValue\\\"\"]},\"attrs\":{}},\"leader_peer\":{\"id\":1,\"addr\":"
        + "\"10.0.0.5:3001\"},\"follower_peers\":[],\"leader_down_since\":null}],"
        + "\"physical_table_id\":1024,\"region_wal_options\":{\"0\":{\"wal.provider\":"
        + "\"raft_engine\"}},\"allow_rollback\":true}");
    old.procedures.stop();

    RecordingRegionServer newRegions = new RecordingRegionServer();
    DdlHarness next = finishedByNextLeader(kv, newRegions);
    gate.countDown();

    assertThat(newRegions.requests(RegionRequest.BodyCase.DROP)).hasSize(1);
    assertThat(next.metadata()).isEmpty();
  }

  @Test
  void anAlterStoppedWhileAlteringRegionsIsFinishedByTheNextLeader() throws Exception {
    alterStoppedWhileAlteringRegionsIsFinishedByTheNextLeader(new MemoryKv());
  }

  @Test
  void anAlterStoppedWhileAlteringRegionsIsFinishedByTheNextLeaderOnEtcd() throws Exception {
    EtcdKv etcd = EtcdKv.connect(EtcdKvConfig.of(EtcdProcess.shared().endpoint()),
        KvLimits.DEFAULT);
    closing.add(etcd);
    alterStoppedWhileAlteringRegionsIsFinishedByTheNextLeader(
        ChrootKv.wrap(Bytes.utf8("ddl-recovery-" + UUID.randomUUID() + "/"), etcd));
  }

  private void alterStoppedWhileAlteringRegionsIsFinishedByTheNextLeader(KvBackend kv)
      throws Exception {
    DdlHarness creator = leader(kv, new RecordingRegionServer());
    creator.ddl.submit(DdlTasksFixture.createTable("t")).get(30, TimeUnit.SECONDS);
    creator.procedures.stop();

    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    DdlHarness old = leader(kv, heldUntil(entered, gate));
    old.ddl.submit(DdlTasksFixture.request().setAlterTableTask(AlterTableTask.newBuilder()
        .setAlterTable(AlterTableExpr.newBuilder().setCatalogName("greptime")
            .setSchemaName("public").setTableName("t").setDropColumns(DropColumns.newBuilder()
                .addDropColumns(DropColumn.newBuilder().setName("cpu"))))).build());
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
    JsonNode data = SerdeJson.readTree(Bytes.utf8(storedData(kv).path("data").asText()), "data");
    assertThat(data.path("state").asText()).isEqualTo("SubmitAlterRegionRequests");
    assertThat(data.path("table_info_value").asText()).contains("\"version\":0}");
    old.procedures.stop();

    RecordingRegionServer newRegions = new RecordingRegionServer();
    DdlHarness next = finishedByNextLeader(kv, newRegions);
    gate.countDown();

    assertThat(newRegions.requests(RegionRequest.BodyCase.ALTER))
        .extracting(r -> r.getAlter().getSchemaVersion()).containsExactly(0L);
    String info = next.metadata().get("__table_info/1024");
    assertThat(info).doesNotContain("\"cpu\"").contains("\"ident\":{\"table_id\":1024,"
        + "\"version\":1}").endsWith(",\"version\":1}");
    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs()).isEmpty();
  }

  /** A new leader on {@code kv}, once it finished the one procedure it recovered. */
  private DdlHarness finishedByNextLeader(KvBackend kv, RecordingRegionServer regions)
      throws Exception {
    DdlHarness next = leader(kv, regions);
    ProcedureId id = next.procedures.list().get(0).id();
    assertThat(next.procedures.whenFinished(id).get(30, TimeUnit.SECONDS).kind())
        .isEqualTo(ProcedureStateKind.Done);
    return next;
  }

  /** A region server whose answers wait for {@code gate}, released when the test ends. */
  private RecordingRegionServer heldUntil(CountDownLatch entered, CountDownLatch gate) {
    closing.add(gate::countDown);
    RecordingRegionServer regions = new RecordingRegionServer();
    regions.holdUntil(entered, gate);
    return regions;
  }

  /** The one stored procedure step, as GreptimeDB's ProcedureMessage JSON. */
  private static JsonNode storedData(KvBackend kv) {
    List<KeyValue> steps = kv.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs();
    assertThat(steps).isNotEmpty();
    return SerdeJson.readTree(steps.get(steps.size() - 1).value(), "ProcedureMessage");
  }
}
