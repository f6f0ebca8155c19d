package io.metasrv.ddl;

import static io.metasrv.ddl.DdlTasksFixture.LOGICAL_TABLE_INFO;
import static io.metasrv.ddl.DdlTasksFixture.tagColumn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.MemoryKv;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.CreateRequest;
import io.metasrv.protocol.region.RegionColumnDef;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.DropColumns;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The metric engine's logical tables through the DDL manager: CreateTableTasks, AlterTableTasks
 * and DropTableTasks on a physical table {@code phy} (id 1024) with two regions on two
 * datanodes, with GreptimeDB's region requests and metadata bytes.
 */
class LogicalTablesProcedureTest {
  /** Region 0 of table 1024, the physical table. */
  private static final long PHY_0 = 4398046511104L;
  private static final long M1_0 = 1025L << 32;
  private static final long M2_0 = 1026L << 32;
  /** What the metric engine answers in ALTER_PHYSICAL once {@code job}, {@code instance} exist. */
  private static final String PHYSICAL_COLUMNS = "[{\"column_schema\":"
      + DdlTasksFixture.TIMESTAMP_COLUMN + ",\"semantic_type\":\"Timestamp\",\"column_id\":0},"
      + "{\"column_schema\":" + DdlTasksFixture.VALUE_COLUMN
      + ",\"semantic_type\":\"Field\",\"column_id\":1},"
      + "{\"column_schema\":" + tagColumn("__table_id") + ",\"semantic_type\":\"Tag\","
      + "\"column_id\":2147483652},{\"column_schema\":" + tagColumn("__tsid")
      + ",\"semantic_type\":\"Tag\",\"column_id\":2147483651},"
      + "{\"column_schema\":" + tagColumn("job") + ",\"semantic_type\":\"Tag\",\"column_id\":3},"
      + "{\"column_schema\":" + tagColumn("instance")
      + ",\"semantic_type\":\"Tag\",\"column_id\":4}]";
  private DdlHarness harness;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private DdlHarness withPhysicalTable() throws Exception {
    harness = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), 2);
    run(harness, DdlTasksFixture.createPhysicalTable("a", "b"));
    harness.regions.received.clear();
    return harness;
  }

  private static DdlManager.Result run(DdlHarness harness, DdlTaskRequest request)
      throws Exception {
    return harness.ddl.submit(request).get(30, TimeUnit.SECONDS);
  }

  /** m's RawTableInfo as stored: columns sorted by name, its id, the physical region numbers. */
  static String storedLogicalInfo(String table, long tableId) {
    return String.format(LOGICAL_TABLE_INFO, table)
        .replace(tagColumn("job") + "," + tagColumn("instance"),
            tagColumn("instance") + "," + tagColumn("job"))
        .replace("\"table_id\":0", "\"table_id\":" + tableId)
        .replace("\"region_numbers\":[]", "\"region_numbers\":[0,1]");
  }

  @Test
  void createsLogicalTablesInThePhysicalRegionsWithLogicalRoutes() throws Exception {
    DdlHarness h = withPhysicalTable();
    DdlManager.Result result = run(h, DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m1", false),
        DdlTasksFixture.logicalTableTask("m2", false)));

    assertThat(result.tableIds()).containsExactly(1025L, 1026L);
    Map<String, String> metadata = h.metadata();
    assertThat(metadata).containsEntry("__table_name/greptime/public/m1", "{\"table_id\":1025}")
        .containsEntry("__table_name/greptime/public/m2", "{\"table_id\":1026}")
        .containsEntry("__table_route/1025", "{\"type\":\"logical\",\"physical_table_id\":1024,"
            + "\"region_ids\":[4402341478400,4402341478401]}")
        .containsEntry("__table_route/1026", "{\"type\":\"logical\",\"physical_table_id\":1024,"
            + "\"region_ids\":[4406636445696,4406636445697]}")
        .containsEntry("__table_info/1025",
            "{\"table_info\":" + storedLogicalInfo("m1", 1025) + ",\"version\":0}");
    assertThat(metadata.keySet()).as("no __dn_table of their own")
        .noneMatch(key -> key.startsWith("__dn_table/") && !key.endsWith("/1024"));
    assertThat(metadata.get("__table_info/1025")).contains(
        "\"column_schemas\":[{\"name\":\"greptime_timestamp\"",
        "{\"name\":\"greptime_value\"", "{\"name\":\"instance\"", "{\"name\":\"job\"");
    assertThat(h.invalidations).as("no physical columns reported, nothing to invalidate")
        .isEmpty();
    assertThat(h.procedures.list()).filteredOn(
        info -> info.typeName().equals("metasrv-procedure::CreateLogicalTables"))
        .singleElement().satisfies(info -> assertThat(info.lockKeys()).containsExactlyInAnyOrder(
            "Share(\"__catalog_lock/greptime\")", "Share(\"__schema_lock/greptime.public\")",
            "Exclusive(\"__table_lock/1024\")",
            "Exclusive(\"__table_name_lock/greptime.public.m1\")",
            "Exclusive(\"__table_name_lock/greptime.public.m2\")"));
  }

  @Test
  void sendsOneCreatesPerDatanodeAsGreptimeDbBuildsIt() throws Exception {
    DdlHarness h = withPhysicalTable();
    run(h, DdlTasksFixture.createLogicalTables(DdlTasksFixture.logicalTableTask("m1", false),
        DdlTasksFixture.logicalTableTask("m2", false)));

    assertThat(h.regions.received).hasSize(2);
    assertThat(h.regions.received).extracting(r -> r.peer().id()).containsExactly(1L, 2L);
    RegionRequest toFirst = h.regions.received.get(0).request();
    assertThat(toFirst.hasHeader()).isTrue();
    assertThat(toFirst.getCreates().getRequestsList()).extracting(CreateRequest::getRegionId)
        .containsExactly(M1_0, M2_0);
    assertThat(h.regions.received.get(1).request().getCreates().getRequestsList())
        .extracting(CreateRequest::getRegionId).containsExactly(M1_0 + 1, M2_0 + 1);
    CreateRequest create = toFirst.getCreates().getRequests(0);
    assertThat(create.getEngine()).isEqualTo("metric");
    assertThat(create.getPath()).isEqualTo("greptime/public");
    assertThat(create.getOptionsMap()).as("no WAL options; on_physical_table the region id")
        .containsExactly(Map.entry("on_physical_table", Long.toString(PHY_0)));
    assertThat(create.getColumnDefsList()).extracting(def -> def.getColumnDef().getName())
        .containsExactly("greptime_timestamp", "greptime_value", "instance", "job");
    assertThat(create.getColumnDefsList()).extracting(RegionColumnDef::getColumnId)
        .containsExactly(0, 1, 2, 3);
    assertThat(create.getPrimaryKeyList()).as("job, instance by id").containsExactly(3, 2);
  }

  @Test
  void thePhysicalColumnsTheDatanodesReportRewriteThePhysicalTableInfo() throws Exception {
    DdlHarness h = withPhysicalTable();
    h.regions.answerWithExtension("ALTER_PHYSICAL", PHYSICAL_COLUMNS);

    run(h, DdlTasksFixture.createLogicalTables(DdlTasksFixture.logicalTableTask("m1", false)));

    String physical = h.metadata().get("__table_info/1024");
    assertThat(physical).contains("\"column_schemas\":[" + DdlTasksFixture.TIMESTAMP_COLUMN
            + "," + DdlTasksFixture.VALUE_COLUMN + "," + tagColumn("__table_id") + ","
            + tagColumn("__tsid") + "," + tagColumn("job") + "," + tagColumn("instance")
            + "],\"timestamp_index\":0,\"version\":0},\"primary_key_indices\":[2,3,4,5],"
            + "\"value_indices\":[1],\"engine\":\"metric\",\"next_column_id\":2,")
        .endsWith(",\"version\":1}");
    assertThat(h.invalidations).containsExactly(List.of(new CacheIdent.TableId(1024),
        new CacheIdent.TableName("greptime", "public", "phy")));
  }

  @Test
  void existingTablesAreSkippedWithCreateIfNotExistsAndRefusedWithout() throws Exception {
    DdlHarness h = withPhysicalTable();
    run(h, DdlTasksFixture.createLogicalTables(DdlTasksFixture.logicalTableTask("m1", false)));
    h.regions.received.clear();

    assertThatThrownBy(() -> run(h, DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m2", false),
        DdlTasksFixture.logicalTableTask("m1", false))))
        .cause().isInstanceOf(DdlException.class).hasMessage("Table already exists: `m1`")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4000);
    assertThat(h.metadata()).doesNotContainKey("__table_name/greptime/public/m2");

    DdlManager.Result result = run(h, DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m2", true),
        DdlTasksFixture.logicalTableTask("m1", true)));
    assertThat(result.tableIds()).containsExactly(1026L, 1025L);
    assertThat(h.regions.requests(RegionRequest.BodyCase.CREATES))
        .flatExtracting(r -> r.getCreates().getRequestsList())
        .extracting(CreateRequest::getRegionId).containsExactly(M2_0, M2_0 + 1);

    h.regions.received.clear();
    assertThat(run(h, DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m1", true))).tableIds()).containsExactly(1025L);
    assertThat(h.regions.received).as("all exist: done in Prepare").isEmpty();
  }

  @Test
  void tablesBeyondATransactionAreCreatedInChunks() throws Exception {
    harness = new DdlHarness(new MemoryKv(new io.metasrv.kv.KvLimits(6, 64 * 1024)),
        new RecordingRegionServer(), 1);
    run(harness, DdlTasksFixture.createPhysicalTable());
    List<io.metasrv.protocol.CreateTableTask> tasks = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tasks.add(DdlTasksFixture.logicalTableTask("m" + i, false));
    }

    DdlManager.Result result = run(harness, DdlTasksFixture.createLogicalTables(
        tasks.toArray(io.metasrv.protocol.CreateTableTask[]::new)));

    assertThat(result.tableIds()).containsExactly(1025L, 1026L, 1027L, 1028L, 1029L);
    assertThat(harness.metadata().keySet()).filteredOn(key -> key.startsWith("__table_route/"))
        .hasSize(6);
  }

  @Test
  void badLogicalTasksAreRefusedAndNothingIsWritten() throws Exception {
    DdlHarness h = withPhysicalTable();
    Map<String, String> before = h.metadata();
    var mito = DdlTasksFixture.logicalTableTask("m1", false).toBuilder();
    mito.getCreateTableBuilder().setEngine("mito");
    assertRefused(h, DdlTasksFixture.createLogicalTables(mito.build()), 1001,
        "create table with engine mito");
    var unattached = DdlTasksFixture.logicalTableTask("m1", false).toBuilder();
    unattached.getCreateTableBuilder().removeTableOptions("on_physical_table");
    assertRefused(h, DdlTasksFixture.createLogicalTables(unattached.build()), 1001,
        "create table without table options on_physical_table");
    var elsewhere = DdlTasksFixture.logicalTableTask("m2", false).toBuilder();
    elsewhere.getCreateTableBuilder().putTableOptions("on_physical_table", "other");
    assertRefused(h, DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m1", false), elsewhere.build()), 1001,
        "different physical table name");
    assertRefused(h, DdlTasksFixture.createLogicalTables(elsewhere.build()), 4001,
        "Table not found: `greptime.public.other`");
    assertRefused(h, DdlTasksFixture.createLogicalTables(), 1004, "cannot be empty");
    assertRefused(h, DdlTasksFixture.alterLogicalTables(), 1004, "cannot be empty");
    assertRefused(h, DdlTasksFixture.dropLogicalTables(), 1004, "cannot be empty");
    assertRefused(h, DdlTasksFixture.dropLogicalTables(DdlTasksFixture.dropTableTask("phy", 1024)),
        1004, "is not a logical table");
    assertThat(h.metadata()).isEqualTo(before);
  }

  @Test
  void addColumnsAltersTheLogicalRegionsAndBothTableInfos() throws Exception {
    DdlHarness h = withPhysicalTable();
    run(h, DdlTasksFixture.createLogicalTables(DdlTasksFixture.logicalTableTask("m1", false),
        DdlTasksFixture.logicalTableTask("m2", false)));
    h.regions.received.clear();
    h.regions.answerWithExtension("ALTER_PHYSICAL", PHYSICAL_COLUMNS.replace("]",
        ",{\"column_schema\":" + tagColumn("pod") + ",\"semantic_type\":\"Tag\",\"column_id\":5}]"));

    assertThat(run(h, DdlTasksFixture.alterLogicalTables(
        DdlTasksFixture.addTags("m1", "pod", "job"))).tableIds()).isEmpty();

    List<RegionRequest> alters = h.regions.requests(RegionRequest.BodyCase.ALTERS);
    assertThat(alters).hasSize(2);
    assertThat(alters).flatExtracting(r -> r.getAlters().getRequestsList())
        .extracting(AlterRequest::getRegionId).containsExactlyInAnyOrder(M1_0, M1_0 + 1);
    AlterRequest alter = alters.get(0).getAlters().getRequests(0);
    assertThat(alter.getSchemaVersion()).isZero();
    assertThat(alter.getAddColumns().getAddColumnsList())
        .extracting(add -> add.getColumnDef().getColumnDef().getName()).containsExactly("pod",
            "job");
    assertThat(alter.getAddColumns().getAddColumns(0).getColumnDef().getColumnId()).isZero();

    assertThat(h.metadata().get("__table_info/1025")).isEqualTo("{\"table_info\":"
        + storedLogicalInfo("m1", 1025)
            .replace("\"ident\":{\"table_id\":1025,\"version\":0}",
                "\"ident\":{\"table_id\":1025,\"version\":1}")
            .replace(tagColumn("job") + "]", tagColumn("job") + "," + tagColumn("pod") + "]")
            .replace("\"timestamp_index\":0,\"version\":0}", "\"timestamp_index\":0,\"version\":1}")
            .replace("\"primary_key_indices\":[2,3]", "\"primary_key_indices\":[2,3,4]")
        + ",\"version\":1}");
    assertThat(h.metadata().get("__table_info/1026")).endsWith(",\"version\":0}");
    assertThat(h.metadata().get("__table_info/1024")).contains(tagColumn("pod"))
        .endsWith(",\"version\":1}");
    assertThat(h.invalidations).containsExactly(List.of(new CacheIdent.TableId(1025),
        new CacheIdent.TableName("greptime", "public", "m1"), new CacheIdent.TableId(1024),
        new CacheIdent.TableName("greptime", "public", "phy")));

    h.regions.received.clear();
    run(h, DdlTasksFixture.alterLogicalTables(DdlTasksFixture.addTags("m1", "pod")));
    assertThat(h.regions.received).as("columns there already: nothing to alter").isEmpty();
    assertThat(h.metadata().get("__table_info/1025")).endsWith(",\"version\":1}");
  }

  @Test
  void badAlterTasksAreRefusedAndNothingIsWritten() throws Exception {
    DdlHarness h = withPhysicalTable();
    run(h, DdlTasksFixture.createLogicalTables(DdlTasksFixture.logicalTableTask("m1", false)));
    Map<String, String> before = h.metadata();

    var drop = DdlTasksFixture.addTags("m1", "pod").toBuilder();
    drop.getAlterTableBuilder().setDropColumns(DropColumns.getDefaultInstance());
    assertThatThrownBy(() -> run(h, DdlTasksFixture.alterLogicalTables(drop.build())))
        .cause().isInstanceOf(DdlException.class)
        .hasMessage("Alter logical tables invalid arguments: Only support add columns operation")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(1004);
    assertThatThrownBy(() -> run(h, DdlTasksFixture.alterLogicalTables(
        DdlTasksFixture.addTags("phy", "pod"))))
        .cause().isInstanceOf(DdlException.class)
        .hasMessageContaining("All the tasks should have the same physical table id");
    assertRefused(h, DdlTasksFixture.alterLogicalTables(DdlTasksFixture.addTags("nope", "pod")),
        4001, "Table not found: `greptime.public.nope`");
    var noKind = DdlTasksFixture.addTags("m1", "pod").toBuilder();
    noKind.getAlterTableBuilder().clearKind();
    assertRefused(h, DdlTasksFixture.alterLogicalTables(noKind.build()), 1004,
        "Missing required parameter, param: kind");
    assertThat(h.metadata()).isEqualTo(before);
  }

  @Test
  void dropTableTasksDropEachLogicalTableAndLeaveThePhysicalOne() throws Exception {
    DdlHarness h = withPhysicalTable();
    run(h, DdlTasksFixture.createLogicalTables(DdlTasksFixture.logicalTableTask("m1", false),
        DdlTasksFixture.logicalTableTask("m2", false)));
    Map<String, String> physicalOnly = new java.util.TreeMap<>(h.metadata());
    physicalOnly.keySet().removeIf(key -> key.contains("m1") || key.contains("m2")
        || key.endsWith("/1025") || key.endsWith("/1026"));
    h.regions.received.clear();
    h.regions.failNext(RegionServerException.Kind.REGION_NOT_FOUND, 1);
    int watched = h.detectors.size();

    assertThat(run(h, DdlTasksFixture.dropLogicalTables(DdlTasksFixture.dropTableTask("m1", 1025),
        DdlTasksFixture.dropTableTask("m2", 1026))).tableIds()).isEmpty();

    assertThat(new java.util.TreeMap<>(h.metadata())).isEqualTo(physicalOnly);
    assertThat(h.regions.requests(RegionRequest.BodyCase.DROP))
        .extracting(r -> r.getDrop().getRegionId())
        .containsExactlyInAnyOrder(M1_0, M1_0 + 1, M2_0, M2_0 + 1);
    // the physical table's regions are still watched: only they heartbeat
    assertThat(h.detectors.size()).isEqualTo(watched).isPositive();
    assertThat(h.invalidations).containsExactlyInAnyOrder(
        List.of(new CacheIdent.TableName("greptime", "public", "m1"),
            new CacheIdent.TableId(1025)),
        List.of(new CacheIdent.TableName("greptime", "public", "m2"),
            new CacheIdent.TableId(1026)));
    assertThat(h.registry.get("metasrv.ddl").tags("kind", "drop_table_tasks", "result", "ok")
        .timer().count()).isEqualTo(1);
  }

  private static void assertRefused(DdlHarness h, DdlTaskRequest request, int code,
      String message) {
    assertThatThrownBy(() -> h.ddl.submit(request)).isInstanceOf(DdlException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(code);
  }
}
