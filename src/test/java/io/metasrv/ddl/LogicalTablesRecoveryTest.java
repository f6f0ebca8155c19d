package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.procedure.ProcedureInfo;
import io.metasrv.procedure.ProcedureStateKind;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.region.RegionRequest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A leader that stops while the datanodes create or alter logical tables' regions: the next
 * leader loads CreateLogicalTables or AlterLogicalTables from GreptimeDB's persisted data and
 * finishes it once, with the table ids the stopped leader allocated.
 */
class LogicalTablesRecoveryTest {
  private static final String ROUTE = "{\"region_routes\":[{\"region\":{\"id\":4398046511104,"
      + "\"name\":\"\",\"partition\":{\"column_list\":[],\"value_list\":[\"\\\"MaxValue\\\"\"]},"
      + "\"attrs\":{}},\"leader_peer\":{\"id\":1,\"addr\":\"10.0.0.5:3001\"},"
      + "\"follower_peers\":[],\"leader_down_since\":null}],\"version\":0}";
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final KvBackend kv = new MemoryKv();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private DdlHarness leader(RecordingRegionServer regions) {
    DdlHarness harness = new DdlHarness(kv, regions, 1);
    closing.add(harness);
    return harness;
  }

  /** The physical table {@code phy} (1024) and, when asked, logical tables, by a past leader. */
  private void created(CreateTableTask... logical) throws Exception {
    DdlHarness creator = leader(new RecordingRegionServer());
    creator.ddl.submit(DdlTasksFixture.createPhysicalTable()).get(30, TimeUnit.SECONDS);
    if (logical.length > 0) {
      creator.ddl.submit(DdlTasksFixture.createLogicalTables(logical)).get(30, TimeUnit.SECONDS);
    }
    creator.procedures.stop();
  }

  @Test
  void aCreateStoppedWhileCreatingRegionsIsFinishedByTheNextLeader() throws Exception {
    created();
    CountDownLatch entered = new CountDownLatch(1);
    DdlHarness old = leader(heldUntil(entered));
    old.ddl.submit(DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m1", false)));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    JsonNode stored = storedStep();
    assertThat(stored.path("type_name").asText())
        .isEqualTo("metasrv-procedure::CreateLogicalTables");
    JsonNode data = SerdeJson.readTree(Bytes.utf8(stored.path("data").asText()), "data");
    String task = data.path("tasks").path(0).asText();
    assertThat(data.toString()).isEqualTo("{\"state\":\"DatanodeCreateRegions\",\"tasks\":[\""
        + task + "\"],\"table_ids_already_exists\":[null],\"physical_table_id\":1024,"
        + "\"physical_region_numbers\":[0],\"physical_columns\":[]}");
    CreateTableTask decoded = CreateTableTask.parseFrom(Base64.getDecoder().decode(task));
    long tableId = SerdeJson.readTree(decoded.getTableInfo().toByteArray(), "RawTableInfo")
        .path("ident").path("table_id").asLong();
    assertThat(tableId).as("allocated in Prepare, after the past leader's block of ids")
        .isGreaterThan(1024);
    assertThat(decoded.getCreateTable().getColumnDefsList()).extracting(def -> def.getName())
        .containsExactly("greptime_timestamp", "greptime_value", "instance", "job");
    old.procedures.stop();

    RecordingRegionServer regions = new RecordingRegionServer()
        .answerWithExtension("ALTER_PHYSICAL", "[]");
    DdlHarness next = finishedByNextLeader(regions);

    assertThat(regions.requests(RegionRequest.BodyCase.CREATES))
        .flatExtracting(r -> r.getCreates().getRequestsList())
        .extracting(create -> create.getRegionId()).containsExactly(tableId << 32);
    assertThat(next.metadata()).containsEntry("__table_name/greptime/public/m1",
            "{\"table_id\":" + tableId + "}")
        .containsEntry("__table_route/" + tableId, "{\"type\":\"logical\","
            + "\"physical_table_id\":1024,\"region_ids\":[" + (tableId << 32) + "]}")
        .containsKey("__table_info/" + tableId);
    assertThat(kv.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs()).isEmpty();
  }

  @Test
  void anAlterStoppedWhileAlteringRegionsIsFinishedByTheNextLeader() throws Exception {
    created(DdlTasksFixture.logicalTableTask("m1", false));
    String infoBefore = Bytes.utf8(kv.get(Bytes.utf8("__table_info/1025")).orElseThrow().value());
    String physicalBefore =
        Bytes.utf8(kv.get(Bytes.utf8("__table_info/1024")).orElseThrow().value());
    CountDownLatch entered = new CountDownLatch(1);
    DdlHarness old = leader(heldUntil(entered));
    old.ddl.submit(DdlTasksFixture.alterLogicalTables(DdlTasksFixture.addTags("m1", "pod")));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    JsonNode stored = storedStep();
    assertThat(stored.path("type_name").asText())
        .isEqualTo("metasrv-procedure::AlterLogicalTables");
    JsonNode data = SerdeJson.readTree(Bytes.utf8(stored.path("data").asText()), "data");
    String task = data.path("tasks").path(0).asText();
    assertThat(data.toString()).isEqualTo("{\"state\":\"SubmitAlterRegionRequests\",\"tasks\":[\""
        + task + "\"],\"table_info_values\":[" + SerdeJson.MAPPER.writeValueAsString(infoBefore)
        + "],\"physical_table_id\":1024,\"physical_table_info\":"
        + SerdeJson.MAPPER.writeValueAsString(physicalBefore) + ",\"physical_table_route\":"
        + ROUTE + ",\"physical_columns\":[]}");
    assertThat(AlterTableTask.parseFrom(Base64.getDecoder().decode(task)))
        .isEqualTo(DdlTasksFixture.addTags("m1", "pod"));
    old.procedures.stop();

    RecordingRegionServer regions = new RecordingRegionServer();
    DdlHarness next = leader(regions);
    ProcedureInfo recovered = next.procedures.list().get(0);
    assertThat(recovered.lockKeys()).as("a recovered procedure also locks the logical tables")
        .contains("Exclusive(\"__table_lock/1024\")", "Exclusive(\"__table_lock/1025\")");
    assertThat(next.procedures.whenFinished(recovered.id()).get(30, TimeUnit.SECONDS).kind())
        .isEqualTo(ProcedureStateKind.Done);

    assertThat(regions.requests(RegionRequest.BodyCase.ALTERS)).hasSize(1);
    assertThat(next.metadata().get("__table_info/1025"))
        .contains("\"ident\":{\"table_id\":1025,\"version\":1}", "{\"name\":\"pod\"")
        .endsWith(",\"version\":1}");
    assertThat(next.metadata().get("__table_info/1024")).isEqualTo(physicalBefore);
  }

  private DdlHarness finishedByNextLeader(RecordingRegionServer regions) throws Exception {
    DdlHarness next = leader(regions);
    assertThat(next.procedures.whenFinished(next.procedures.list().get(0).id())
        .get(30, TimeUnit.SECONDS).kind()).isEqualTo(ProcedureStateKind.Done);
    return next;
  }

  /** A region server whose answers wait until the test ends. */
  private RecordingRegionServer heldUntil(CountDownLatch entered) {
    CountDownLatch gate = new CountDownLatch(1);
    closing.add(gate::countDown);
    RecordingRegionServer regions = new RecordingRegionServer();
    regions.holdUntil(entered, gate);
    return regions;
  }

  /** The last stored procedure step, as GreptimeDB's ProcedureMessage JSON. */
  private JsonNode storedStep() {
    List<KeyValue> steps = kv.range(RangeRequest.prefix(Bytes.utf8("/__procedure__/"))).kvs();
    assertThat(steps).isNotEmpty();
    return SerdeJson.readTree(steps.get(steps.size() - 1).value(), "ProcedureMessage");
  }
}
