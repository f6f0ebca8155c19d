package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.MemoryKv;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.AddColumn;
import io.metasrv.protocol.v1.AddColumnLocation;
import io.metasrv.protocol.v1.AddColumns;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.DropColumn;
import io.metasrv.protocol.v1.DropColumns;
import io.metasrv.protocol.v1.ModifyColumnType;
import io.metasrv.protocol.v1.ModifyColumnTypes;
import io.metasrv.protocol.v1.Option;
import io.metasrv.protocol.v1.RenameTable;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.protocol.v1.SetFulltext;
import io.metasrv.protocol.v1.SetIndex;
import io.metasrv.protocol.v1.SetInverted;
import io.metasrv.protocol.v1.SetSkipping;
import io.metasrv.protocol.v1.SetTableOptions;
import io.metasrv.protocol.v1.UnsetFulltext;
import io.metasrv.protocol.v1.UnsetIndex;
import io.metasrv.protocol.v1.UnsetTableOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ALTER TABLE of every kind on {@code t (ts TIMESTAMP TIME INDEX, host STRING PRIMARY KEY, cpu
 * DOUBLE)} with two regions, one on each of two datanodes: the table info and datanode table
 * values after (golden JSON), the region requests, refusals with GreptimeDB's codes and nothing
 * written, datanode answers, resumed procedures.
 */
class AlterTableProcedureTest {
  private static final String TS = "{\"name\":\"ts\",\"data_type\":{\"Timestamp\":"
      + "{\"Millisecond\":null}},\"is_nullable\":false,\"is_time_index\":true,"
      + "\"default_constraint\":null,\"metadata\":{\"greptime:time_index\":\"true\"}}";
  private static final String HOST = "{\"name\":\"host\",\"data_type\":{\"String\":null},"
      + "\"is_nullable\":true,\"is_time_index\":false,\"default_constraint\":null,"
      + "\"metadata\":{}}";
  private static final String CPU = "{\"name\":\"cpu\",\"data_type\":{\"Float64\":{}},"
      + "\"is_nullable\":true,\"is_time_index\":false,\"default_constraint\":null,"
      + "\"metadata\":{}}";
  private static final String OPTIONS = "{\"write_buffer_size\":null,\"ttl\":null,"
      + "\"skip_wal\":false,\"extra_options\":{}}";
  private static final String RAFT = "{\\\"wal.provider\\\":\\\"raft_engine\\\"}";

  private DdlHarness harness;

  @BeforeEach
  void createTable() throws Exception {
    harness = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), 2);
    harness.ddl.submit(DdlTaskRequest.newBuilder(DdlTasksFixture.createTable("t"))
        .setCreateTableTask(DdlTasksFixture.createTableTask(
            DdlTasksFixture.createTableExpr("public", "t"), "a", "b")).build())
        .get(30, TimeUnit.SECONDS);
    harness.regions.received.clear();
  }

  @AfterEach
  void close() {
    harness.close();
  }

  /** The {@code __table_info} of {@code t} with these parts; everything else as created. */
  private static String tableInfo(int identVersion, String columns, int timestampIndex,
      int schemaVersion, String primaryKeys, String valueIndices, int nextColumnId,
      String options, int version) {
    return "{\"table_info\":{\"ident\":{\"table_id\":1024,\"version\":" + identVersion + "},"
        + "\"name\":\"t\",\"desc\":null,\"catalog_name\":\"greptime\",\"schema_name\":\"public\","
        + "\"meta\":{\"schema\":{\"column_schemas\":[" + columns + "],\"timestamp_index\":"
        + timestampIndex + ",\"version\":" + schemaVersion + "},\"primary_key_indices\":["
        + primaryKeys + "],\"value_indices\":[" + valueIndices + "],\"engine\":\"mito\","
        + "\"next_column_id\":" + nextColumnId + ",\"region_numbers\":[0,1],\"options\":"
        + options + ",\"created_on\":\"2025-03-31T13:25:05.123456789Z\","
        + "\"partition_key_indices\":[]},\"table_type\":\"Base\"},\"version\":" + version + "}";
  }

  private static String datanodeTable(long datanode, String regionOptions) {
    long region = datanode - 1;
    return "{\"table_id\":1024,\"regions\":[" + region + "],\"engine\":\"mito\","
        + "\"region_storage_path\":\"greptime/public\",\"region_options\":" + regionOptions
        + ",\"region_wal_options\":{\"0\":\"" + RAFT + "\",\"1\":\"" + RAFT + "\"},"
        + "\"version\":0}";
  }

  private static DdlTaskRequest alter(AlterTableExpr.Builder expr) {
    return DdlTasksFixture.request().setAlterTableTask(AlterTableTask.newBuilder()
        .setAlterTable(expr.setCatalogName("greptime").setSchemaName("public"))).build();
  }

  private static AlterTableExpr.Builder table(String table) {
    return AlterTableExpr.newBuilder().setTableName(table);
  }

  private static DdlTaskRequest rename(String table, String newName) {
    return alter(table(table).setRenameTable(RenameTable.newBuilder().setNewTableName(newName)));
  }

  private static ColumnDef.Builder column(String name, ColumnDataType type, SemanticType semantic) {
    return ColumnDef.newBuilder().setName(name).setDataType(type).setIsNullable(true)
        .setSemanticType(semantic);
  }

  private static AddColumn.Builder add(ColumnDef.Builder column) {
    return AddColumn.newBuilder().setColumnDef(column);
  }

  private static DdlTaskRequest addColumns(AddColumn.Builder... columns) {
    AddColumns.Builder adds = AddColumns.newBuilder();
    for (AddColumn.Builder column : columns) {
      adds.addAddColumns(column);
    }
    return alter(table("t").setAddColumns(adds));
  }

  private static DdlTaskRequest dropColumns(String... names) {
    DropColumns.Builder drops = DropColumns.newBuilder();
    for (String name : names) {
      drops.addDropColumns(DropColumn.newBuilder().setName(name));
    }
    return alter(table("t").setDropColumns(drops));
  }

  private static DdlTaskRequest modify(String column, ColumnDataType type) {
    return alter(table("t").setModifyColumnTypes(ModifyColumnTypes.newBuilder()
        .addModifyColumnTypes(ModifyColumnType.newBuilder().setColumnName(column)
            .setTargetType(type))));
  }

  private static DdlTaskRequest setOptions(String... keysAndValues) {
    SetTableOptions.Builder options = SetTableOptions.newBuilder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      options.addTableOptions(Option.newBuilder().setKey(keysAndValues[i])
          .setValue(keysAndValues[i + 1]));
    }
    return alter(table("t").setSetTableOptions(options));
  }

  private static DdlTaskRequest setIndex(SetIndex.Builder index) {
    return alter(table("t").setSetIndex(index));
  }

  private static DdlTaskRequest unsetIndex(UnsetIndex.Builder index) {
    return alter(table("t").setUnsetIndex(index));
  }

  private void run(DdlTaskRequest request) throws Exception {
    harness.ddl.submit(request).get(30, TimeUnit.SECONDS);
  }

  private List<AlterRequest> alterRequests() {
    return harness.regions.requests(RegionRequest.BodyCase.ALTER).stream()
        .map(RegionRequest::getAlter).toList();
  }

  /** The task fails with {@code code} and {@code message}, writes nothing and asks no datanode. */
  private void assertRefused(DdlTaskRequest request, int code, String message) {
    Map<String, String> before = harness.metadata();
    ThrowingCallable submit = () -> harness.ddl.submit(request).get(30, TimeUnit.SECONDS);
    assertThatThrownBy(submit).isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(DdlException.class).hasMessage(message)
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(code);
    assertThat(harness.metadata()).isEqualTo(before);
    assertThat(harness.regions.received).isEmpty();
  }

  @Test
  void addColumnsPlacesThemByLocationSkipsExistingOnesAndNumbersTheNewOnes() throws Exception {
    run(addColumns(
        add(column("dc", ColumnDataType.STRING, SemanticType.TAG)).setLocation(
            AddColumnLocation.newBuilder().setLocationType(AddColumnLocation.LocationType.FIRST)),
        add(column("mem", ColumnDataType.FLOAT64, SemanticType.FIELD).setComment("memory"))
            .setLocation(AddColumnLocation.newBuilder()
                .setLocationType(AddColumnLocation.LocationType.AFTER)
                .setAfterColumnName("host")),
        add(column("cpu", ColumnDataType.FLOAT64, SemanticType.FIELD)).setAddIfNotExists(true),
        add(column("disk", ColumnDataType.INT64, SemanticType.FIELD))));

    String dc = "{\"name\":\"dc\",\"data_type\":{\"String\":null},\"is_nullable\":true,"
        + "\"is_time_index\":false,\"default_constraint\":null,\"metadata\":{}}";
    String mem = "{\"name\":\"mem\",\"data_type\":{\"Float64\":{}},\"is_nullable\":true,"
        + "\"is_time_index\":false,\"default_constraint\":null,"
        + "\"metadata\":{\"greptime:storage:comment\":\"memory\"}}";
    String disk = "{\"name\":\"disk\",\"data_type\":{\"Int64\":{}},\"is_nullable\":true,"
        + "\"is_time_index\":false,\"default_constraint\":null,\"metadata\":{}}";
    // four columns asked for, one existing: next_column_id 3 + 4 (GreptimeDB leaves the hole)
    assertThat(harness.metadata().get("__table_info/1024")).isEqualTo(tableInfo(1,
        String.join(",", dc, TS, HOST, mem, CPU, disk), 1, 1, "0,2", "1,3,4,5", 7, OPTIONS, 1));
    assertThat(harness.metadata()).containsEntry("__dn_table/1/1024", datanodeTable(1, "{}"))
        .containsEntry("__dn_table/2/1024", datanodeTable(2, "{}"));

    List<AlterRequest> requests = alterRequests();
    assertThat(requests).extracting(AlterRequest::getRegionId)
        .containsExactlyInAnyOrder(4398046511104L, 4398046511105L);
    assertThat(requests).allSatisfy(request -> {
      assertThat(request.getSchemaVersion()).isZero();
      assertThat(request.getAddColumns().getAddColumnsList())
          .extracting(c -> c.getColumnDef().getColumnDef().getName(),
              c -> c.getColumnDef().getColumnId(), c -> c.getLocation().getLocationType())
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("dc", 3,
                  AddColumnLocation.LocationType.FIRST),
              org.assertj.core.groups.Tuple.tuple("mem", 4,
                  AddColumnLocation.LocationType.AFTER),
              org.assertj.core.groups.Tuple.tuple("disk", 5,
                  AddColumnLocation.LocationType.FIRST));
      assertThat(request.getAddColumns().getAddColumns(2).hasLocation()).isFalse();
    });
    assertThat(harness.invalidations).containsExactly(List.of(new CacheIdent.TableId(1024),
        new CacheIdent.TableName("greptime", "public", "t")));

    // the next alteration carries the new schema version
    harness.regions.received.clear();
    run(dropColumns("disk"));
    assertThat(alterRequests()).extracting(AlterRequest::getSchemaVersion).containsOnly(1L);
  }

  @Test
  void dropColumnsRebuildsTheIndicesAndBumpsBothVersions() throws Exception {
    run(dropColumns("cpu"));

    assertThat(harness.metadata().get("__table_info/1024"))
        .isEqualTo(tableInfo(1, TS + "," + HOST, 0, 1, "1", "0", 3, OPTIONS, 1));
    assertThat(alterRequests()).hasSize(2).allSatisfy(request -> assertThat(
        request.getDropColumns().getDropColumnsList()).extracting(c -> c.getName())
        .containsExactly("cpu"));
  }

  @Test
  void modifyColumnTypesChangesTheDataType() throws Exception {
    run(modify("cpu", ColumnDataType.STRING));

    assertThat(harness.metadata().get("__table_info/1024")).isEqualTo(tableInfo(1, TS + ","
        + HOST + "," + CPU.replace("{\"Float64\":{}}", "{\"String\":null}"), 0, 1, "1", "0,2",
        3, OPTIONS, 1));
    assertThat(alterRequests()).hasSize(2).allSatisfy(request -> assertThat(
        request.getModifyColumnTypes().getModifyColumnTypes(0).getTargetType())
        .isEqualTo(ColumnDataType.STRING));
  }

  @Test
  void setAndUnsetTableOptionsRewriteTheOptionsAndTheDatanodesRegionOptions() throws Exception {
    run(setOptions("ttl", "7d", "compaction.twcs.time_window", "1h"));

    assertThat(harness.metadata().get("__table_info/1024")).isEqualTo(tableInfo(1,
        TS + "," + HOST + "," + CPU, 0, 0, "1", "0,2", 3,
        "{\"write_buffer_size\":null,\"ttl\":\"7d\",\"skip_wal\":false,\"extra_options\":"
            + "{\"compaction.twcs.time_window\":\"1h\",\"compaction.type\":\"twcs\"}}", 1));
    String regionOptions = "{\"ttl\":\"7d\",\"compaction.twcs.time_window\":\"1h\","
        + "\"compaction.type\":\"twcs\"}";
    assertThat(harness.metadata())
        .containsEntry("__dn_table/1/1024", datanodeTable(1, regionOptions))
        .containsEntry("__dn_table/2/1024", datanodeTable(2, regionOptions));
    assertThat(alterRequests()).hasSize(2).allSatisfy(request -> assertThat(
        request.getSetTableOptions().getTableOptionsList()).hasSize(2));

    run(alter(table("t").setUnsetTableOptions(UnsetTableOptions.newBuilder()
        .addKeys("TTL").addKeys("compaction.twcs.time_window"))));

    assertThat(harness.metadata().get("__table_info/1024")).isEqualTo(tableInfo(2,
        TS + "," + HOST + "," + CPU, 0, 0, "1", "0,2", 3,
        "{\"write_buffer_size\":null,\"ttl\":null,\"skip_wal\":false,\"extra_options\":"
            + "{\"compaction.type\":\"twcs\"}}", 2));
    assertThat(harness.metadata()).containsEntry("__dn_table/1/1024",
        datanodeTable(1, "{\"compaction.type\":\"twcs\"}"));
  }

  @Test
  void indexOptionsGoIntoTheColumnsMetadata() throws Exception {
    run(setIndex(SetIndex.newBuilder().setFulltext(SetFulltext.newBuilder()
        .setColumnName("host").setEnable(true).setCaseSensitive(true))));
    run(setIndex(SetIndex.newBuilder().setInverted(SetInverted.newBuilder()
        .setColumnName("host"))));
    run(setIndex(SetIndex.newBuilder().setSkipping(SetSkipping.newBuilder()
        .setColumnName("cpu").setEnable(true).setGranularity(4096))));
    run(unsetIndex(UnsetIndex.newBuilder().setFulltext(UnsetFulltext.newBuilder()
        .setColumnName("host"))));

    String host = HOST.replace("\"metadata\":{}", "\"metadata\":{\"greptime:fulltext\":"
        + "\"{\\\"enable\\\":false,\\\"analyzer\\\":\\\"English\\\",\\\"case-sensitive\\\":true}\","
        + "\"greptime:inverted_index\":\"true\"}");
    String cpu = CPU.replace("\"metadata\":{}", "\"metadata\":{\"greptime:skipping_index\":"
        + "\"{\\\"granularity\\\":4096,\\\"index-type\\\":\\\"BloomFilter\\\"}\"}");
    assertThat(harness.metadata().get("__table_info/1024")).isEqualTo(
        tableInfo(4, TS + "," + host + "," + cpu, 0, 4, "1", "0,2", 3, OPTIONS, 4));
    assertThat(alterRequests()).hasSize(8).extracting(AlterRequest::getKindCase).containsOnly(
        AlterRequest.KindCase.SET_INDEX, AlterRequest.KindCase.UNSET_INDEX);
  }

  @Test
  void refusalsCarryGreptimeStatusCodesAndWriteNothing() {
    assertRefused(dropColumns("missing"), DdlException.TABLE_COLUMN_NOT_FOUND,
        "Column missing not exists in table t");
    assertRefused(addColumns(add(column("cpu", ColumnDataType.FLOAT64, SemanticType.FIELD))),
        DdlException.TABLE_COLUMN_EXISTS, "Column cpu already exists in table t");
    assertRefused(addColumns(add(column("cpu", ColumnDataType.INT64, SemanticType.FIELD))
            .setAddIfNotExists(true)), DdlException.INVALID_ARGUMENTS,
        "Invalid alter table(t) request: column cpu already exists with different type "
            + "{\"Float64\":{}}");
    assertRefused(addColumns(add(column("mem", ColumnDataType.FLOAT64, SemanticType.FIELD)
            .setIsNullable(false))), DdlException.INVALID_ARGUMENTS,
        "Invalid alter table(t) request: no default value for column mem");
    assertRefused(addColumns(add(column("mem", ColumnDataType.FLOAT64, SemanticType.FIELD))
            .setLocation(AddColumnLocation.newBuilder()
                .setLocationType(AddColumnLocation.LocationType.AFTER)
                .setAfterColumnName("nowhere"))),
        DdlException.TABLE_COLUMN_NOT_FOUND, "Column nowhere not exists in table t");
    assertRefused(dropColumns("ts"), DdlException.INVALID_ARGUMENTS,
        "Not allowed to remove index column ts from table t");
    assertRefused(dropColumns("host"), DdlException.INVALID_ARGUMENTS,
        "Not allowed to remove index column host from table t");
    assertRefused(modify("host", ColumnDataType.INT64), DdlException.INVALID_ARGUMENTS,
        "Invalid alter table(t) request: Not allowed to change primary key index column 'host'");
    assertRefused(modify("ts", ColumnDataType.INT64), DdlException.INVALID_ARGUMENTS,
        "Invalid alter table(t) request: Not allowed to change timestamp index column 'ts' "
            + "datatype");
    assertRefused(modify("cpu", ColumnDataType.VECTOR), DdlException.INVALID_ARGUMENTS,
        "Invalid alter table(t) request: column 'cpu' cannot be cast automatically to type "
            + "'Vector'");
    assertRefused(modify("gone", ColumnDataType.INT64), DdlException.TABLE_COLUMN_NOT_FOUND,
        "Column gone not exists in table t");
    assertRefused(setOptions("ttl", "soon"), DdlException.INVALID_ARGUMENTS,
        "Invalid set table option request, key: ttl, value: soon");
    assertRefused(setOptions("write_buffer_size", "1MB"), DdlException.INVALID_ARGUMENTS,
        "Invalid set table option request, key: write_buffer_size, value: 1MB");
    assertRefused(setIndex(SetIndex.newBuilder().setFulltext(SetFulltext.newBuilder()
            .setColumnName("cpu").setEnable(true))), DdlException.INVALID_ARGUMENTS,
        "Invalid column option, column name: cpu, error: FULLTEXT index only supports string "
            + "type");
    assertRefused(unsetIndex(UnsetIndex.newBuilder().setFulltext(UnsetFulltext.newBuilder()
            .setColumnName("host"))), DdlException.INVALID_ARGUMENTS,
        "Invalid column option, column name: host, error: FULLTEXT index already disabled");
    assertRefused(addColumns(add(column("mem", ColumnDataType.FLOAT64, SemanticType.FIELD)
            .setDefaultConstraint(ByteString.copyFromUtf8("not json")))),
        DdlException.INVALID_ARGUMENTS,
        "Invalid column proto definition, column: mem: the default constraint is not JSON");
  }

  @Test
  void tasksWithoutAKindOrForAMissingTableAreRefusedBeforeSubmission() {
    assertThatThrownBy(() -> harness.ddl.submit(alter(table("t"))))
        .isInstanceOf(DdlException.class)
        .hasMessage("Missing required parameter, param: kind");
    assertThatThrownBy(() -> harness.ddl.submit(alter(table("nope")
        .setDropColumns(DropColumns.getDefaultInstance()))))
        .isInstanceOf(DdlException.class).hasMessage("Table not found: `greptime.public.nope`")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(DdlException.TABLE_NOT_FOUND);
    assertThatThrownBy(() -> harness.ddl.submit(rename("t", "t")))
        .isInstanceOf(DdlException.class).hasMessageContaining("its own name");
  }

  @Test
  void requestOutdatedIsTakenAsDoneAndUnreachableDatanodesAreRetried() throws Exception {
    harness.regions.failNext(RegionServerException.Kind.REQUEST_OUTDATED, 1);
    run(dropColumns("cpu"));
    assertThat(harness.metadata().get("__table_info/1024")).contains("\"version\":1}");

    harness.regions.received.clear();
    harness.regions.failNext(RegionServerException.Kind.RETRYABLE, 2);
    run(setOptions("ttl", "1h"));
    assertThat(harness.retryDelays).isNotEmpty();
    assertThat(alterRequests()).hasSize(4);
    assertThat(harness.metadata().get("__table_info/1024")).contains("\"ttl\":\"1h\"")
        .endsWith("\"version\":2}");
  }

  @Test
  void aDatanodeThatRefusesEndsTheAlterationWithItsCodeAndNothingWritten() {
    Map<String, String> before = harness.metadata();
    harness.regions.failNext(RegionServerException.Kind.FAILED, 1);
    assertThatThrownBy(() -> run(dropColumns("cpu"))).cause().isInstanceOf(DdlException.class)
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4006);
    assertThat(harness.metadata()).isEqualTo(before);
    assertThat(harness.invalidations).isEmpty();
  }

  /**
   * A leader stopped after the region requests, or after the transaction: the next leader, from
   * the stored data, writes the same metadata once and invalidates.
   */
  @Test
  void anAlterationResumedFromItsStoredDataFinishesWithTheSameMetadata() throws Exception {
    AlterTableExpr expr = alter(table("t").setAddColumns(AddColumns.newBuilder().addAddColumns(
        add(column("mem", ColumnDataType.FLOAT64, SemanticType.FIELD))))).getAlterTableTask()
        .getAlterTable();
    AlterTableProcedure first = AlterTableProcedure.start(harness.context, expr);
    first.step(null);
    String beforeRegions = first.dump();
    assertThat(beforeRegions).startsWith("{\"state\":\"SubmitAlterRegionRequests\",\"task\":\"")
        .contains("\"table_id\":1024,\"table_info_value\":\"{\\\"table_info\\\":")
        .endsWith("\"region_distribution\":null}");
    first.step(null);
    String beforeUpdate = first.dump();
    assertThat(beforeUpdate).startsWith("{\"state\":\"UpdateMetadata\"")
        .endsWith("\"region_distribution\":{\"1\":[0],\"2\":[1]}}");
    first.step(null);
    Map<String, String> altered = harness.metadata();
    assertThat(altered.get("__table_info/1024")).contains("\"next_column_id\":4");

    AlterTableProcedure resumed = AlterTableProcedure.load(harness.context, beforeUpdate);
    assertThat(resumed.step(null)).isInstanceOf(Status.Executing.class);
    assertThat(resumed.step(null)).isInstanceOf(Status.Done.class);
    assertThat(harness.metadata()).isEqualTo(altered);

    AlterTableProcedure fromRegions = AlterTableProcedure.load(harness.context, beforeRegions);
    harness.regions.failNext(RegionServerException.Kind.REQUEST_OUTDATED, 2);
    fromRegions.step(null);
    fromRegions.step(null);
    assertThat(fromRegions.step(null)).isInstanceOf(Status.Done.class);
    assertThat(harness.metadata()).isEqualTo(altered);
    assertThat(harness.invalidations).hasSize(2);
  }

  @Test
  void renameMovesTheNameKeyBumpsTheOuterVersionAndInvalidatesBothCaches() throws Exception {
    Map<String, String> before = harness.metadata();
    String info = before.get("__table_info/1024");

    run(rename("t", "u"));

    Map<String, String> after = harness.metadata();
    assertThat(after).doesNotContainKey("__table_name/greptime/public/t")
        .containsEntry("__table_name/greptime/public/u", "{\"table_id\":1024}");
    // rename_table's with_update: the name and the outer version change, ident.version does not
    assertThat(after.get("__table_info/1024")).isEqualTo(info
        .replace("\"name\":\"t\"", "\"name\":\"u\"")
        .replaceFirst("\"version\":0}$", "\"version\":1}"));
    assertThat(harness.regions.received).isEmpty();
    assertThat(harness.invalidations).containsExactly(List.of(new CacheIdent.TableId(1024),
        new CacheIdent.TableName("greptime", "public", "t")));
  }

  @Test
  void aRenameToATakenNameIsRefused() throws Exception {
    run(DdlTasksFixture.createTable("u"));
    harness.regions.received.clear();
    assertRefused(rename("t", "u"), DdlException.TABLE_ALREADY_EXISTS,
        "Table already exists: `greptime.public.u`");
  }

  /** A leader stopped after the transaction, before invalidating: the next one finishes once. */
  @Test
  void aRenameResumedAfterItsTransactionFinishesWithoutWritingAgain() throws Exception {
    AlterTableProcedure first = AlterTableProcedure.start(harness.context,
        rename("t", "u").getAlterTableTask().getAlterTable());
    first.step(null);
    String stoppedBeforeUpdate = first.dump();
    first.step(null);
    Map<String, String> renamed = harness.metadata();

    AlterTableProcedure resumed = AlterTableProcedure.load(harness.context, stoppedBeforeUpdate);
    assertThat(resumed.step(null)).isInstanceOf(Status.Executing.class);
    assertThat(resumed.step(null)).isInstanceOf(Status.Done.class);
    assertThat(harness.metadata()).isEqualTo(renamed);
    assertThat(harness.invalidations).hasSize(1);
  }
}
