package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.KeyValue;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableInfoValue;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.region.CreateRequests;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.CreateTableExpr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metric engine's logical tables ({@code CreateTableTasks}, which Prometheus remote write
 * sends), GreptimeDB's {@code CreateLogicalTablesProcedure}. The tables live in the regions of
 * one physical table:
 *
 * <ul>
 *   <li>Prepare: the tasks name one schema; the physical table's region numbers; tables that
 *       exist already are skipped when {@code create_if_not_exists}, else TableAlreadyExists;
 *       when all exist, done with their ids. Each other table gets an id from the {@code
 *       table_id} sequence; every task's columns are sorted by name (so column ids are name
 *       positions).
 *   <li>DatanodeCreateRegions: one {@code Creates} per leader of the physical regions, with a
 *       region per new table and physical region of that leader ({@code on_physical_table} =
 *       the physical region id, no WAL options). The answers' {@code ALTER_PHYSICAL} extension,
 *       the physical region's columns, is kept.
 *   <li>CreateMetadata: the physical table's info rewritten with the reported columns (and its
 *       TableId, TableName invalidated), when the datanodes reported them; then per new table
 *       {@code __table_name}, {@code __table_info} and the logical route {@code
 *       {"type":"logical","physical_table_id":..,"region_ids":[..]}}, {@code max_txn_ops / 3}
 *       tables per transaction. Output: every task's table id, in task order.
 * </ul>
 *
 * <p>Persisted data, as GreptimeDB's {@code CreateTablesData}: {@code {"state":..., "tasks":["<
 * base64 of the protobuf CreateTableTask, no padding>",...], "table_ids_already_exists":[id|null,
 * ...], "physical_table_id":..., "physical_region_numbers":[...], "physical_columns":[<
 * ColumnMetadata>...]}}.
 */
public final class CreateLogicalTablesProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::CreateLogicalTables";
  private static final Logger log = LoggerFactory.getLogger(CreateLogicalTablesProcedure.class);

  enum State { Prepare, DatanodeCreateRegions, CreateMetadata }

  private State state;
  private final List<CreateTableTask> tasks;
  private List<Long> tableIdsAlreadyExists;
  private final long physicalTableId;
  private List<Long> physicalRegionNumbers;
  private JsonNode physicalColumns;

  private CreateLogicalTablesProcedure(DdlContext ddl, State state, List<CreateTableTask> tasks,
      List<Long> tableIdsAlreadyExists, long physicalTableId, List<Long> physicalRegionNumbers,
      JsonNode physicalColumns) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.tasks = new ArrayList<>(tasks);
    this.tableIdsAlreadyExists = tableIdsAlreadyExists;
    this.physicalTableId = physicalTableId;
    this.physicalRegionNumbers = physicalRegionNumbers;
    this.physicalColumns = physicalColumns;
  }

  /** A new procedure for tasks the {@link DdlManager} checked, on that physical table. */
  static CreateLogicalTablesProcedure start(DdlContext ddl, List<CreateTableTask> tasks,
      long physicalTableId) {
    return new CreateLogicalTablesProcedure(ddl, State.Prepare, tasks, new ArrayList<>(),
        physicalTableId, new ArrayList<>(), SerdeJson.MAPPER.createArrayNode());
  }

  /** A procedure read back from its stored data. */
  static CreateLogicalTablesProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8),
        "CreateLogicalTables data");
    List<CreateTableTask> tasks = new ArrayList<>();
    for (JsonNode task : root.path("tasks")) {
      tasks.add(decodeTask(task, CreateTableTask.parser(),
          "CreateLogicalTables data has an invalid task"));
    }
    List<Long> existing = new ArrayList<>();
    root.path("table_ids_already_exists").forEach(
        id -> existing.add(id.isIntegralNumber() ? id.asLong() : null));
    List<Long> regionNumbers = new ArrayList<>();
    root.path("physical_region_numbers").forEach(number -> regionNumbers.add(number.asLong()));
    JsonNode columns = root.path("physical_columns");
    return new CreateLogicalTablesProcedure(ddl, State.valueOf(root.path("state").asText()),
        tasks, existing, root.path("physical_table_id").asLong(), regionNumbers,
        columns.isArray() ? columns : SerdeJson.MAPPER.createArrayNode());
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    ArrayNode encoded = root.putArray("tasks");
    tasks.forEach(task -> encoded.add(encodeTask(task)));
    ArrayNode existing = root.putArray("table_ids_already_exists");
    tableIdsAlreadyExists.forEach(id -> {
      if (id == null) {
        existing.addNull();
      } else {
        existing.add(id);
      }
    });
    root.put("physical_table_id", physicalTableId);
    ArrayNode numbers = root.putArray("physical_region_numbers");
    physicalRegionNumbers.forEach(numbers::add);
    root.set("physical_columns", physicalColumns);
    return root.toString();
  }

  /**
   * Catalog and schema (of the first task) shared, the physical table exclusive, and each new
   * table's name exclusive.
   */
  @Override
  public LockKeys lockKeys() {
    CreateTableExpr first = tasks.get(0).getCreateTable();
    List<LockKey> keys = new ArrayList<>();
    keys.add(LockKey.catalogRead(first.getCatalogName()));
    keys.add(LockKey.schemaRead(first.getCatalogName(), first.getSchemaName()));
    keys.add(LockKey.tableWrite(physicalTableId));
    for (CreateTableTask task : tasks) {
      CreateTableExpr expr = task.getCreateTable();
      keys.add(LockKey.tableNameWrite(expr.getCatalogName(), expr.getSchemaName(),
          expr.getTableName()));
    }
    return LockKeys.of(keys.toArray(LockKey[]::new));
  }

  @Override
  Status step(ProcedureContext context) throws Exception {
    return switch (state) {
      case Prepare -> prepare();
      case DatanodeCreateRegions -> createRegions();
      case CreateMetadata -> createMetadata();
    };
  }

  private Status prepare() {
    checkSameSchema();
    physicalRegionNumbers = physicalRoute().regionRoutes().stream()
        .map(route -> RegionId.regionNumber(route.regionId())).toList();
    tableIdsAlreadyExists = new ArrayList<>();
    for (CreateTableTask task : tasks) {
      CreateTableExpr expr = task.getCreateTable();
      Optional<KeyValue> existing = ddl.kv().get(nameOf(expr).toBytes());
      if (existing.isPresent() && !expr.getCreateIfNotExists()) {
        throw new DdlException(DdlException.TABLE_ALREADY_EXISTS,
            "Table already exists: `" + expr.getTableName() + "`");
      }
      tableIdsAlreadyExists.add(existing.map(
          kv -> TableNameValue.decode(kv.value()).tableId()).orElse(null));
    }
    if (tableIdsAlreadyExists.stream().allMatch(id -> id != null)) {
      return Status.done(SerdeJson.writeString(tableIdsAlreadyExists));
    }
    for (int i = 0; i < tasks.size(); i++) {
      CreateTableTask task = tasks.get(i);
      Long existing = tableIdsAlreadyExists.get(i);
      long tableId = existing != null ? existing
          : CreateTableProcedure.allocateTableId(ddl, task.getCreateTable());
      ObjectNode info = tableInfo(task);
      ((ObjectNode) info.path("ident")).put("table_id", tableId);
      TableInfoColumns.sortColumns(info);
      tasks.set(i, task.toBuilder()
          .setCreateTable(TableInfoColumns.sortColumns(task.getCreateTable()))
          .setTableInfo(ByteString.copyFrom(SerdeJson.write(info)))
          .build());
    }
    state = State.DatanodeCreateRegions;
    return Status.executing(true);
  }

  private void checkSameSchema() {
    CreateTableExpr first = tasks.get(0).getCreateTable();
    for (CreateTableTask task : tasks) {
      CreateTableExpr expr = task.getCreateTable();
      if (!expr.getCatalogName().equals(first.getCatalogName())
          || !expr.getSchemaName().equals(first.getSchemaName())) {
        throw DdlException.invalidArguments(
            "Create logical tables invalid arguments: Schemas of the tasks are not the same");
      }
    }
  }

  private Status createRegions() throws Exception {
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (Map.Entry<Peer, List<Long>> leader
        : TableMetadata.regionNumbersByLeader(physicalRoute().regionRoutes()).entrySet()) {
      CreateRequests.Builder creates = CreateRequests.newBuilder();
      for (int i = 0; i < tasks.size(); i++) {
        if (tableIdsAlreadyExists.get(i) != null) {
          continue;
        }
        CreateTableExpr expr = tasks.get(i).getCreateTable();
        long tableId = tableId(tasks.get(i));
        for (long number : leader.getValue()) {
          creates.addRequests(
              CreateRegionRequests.logical(expr, tableId, number, physicalTableId));
        }
      }
      calls.add(new RegionCalls.Call(leader.getKey(),
          CreateRegionRequests.withHeader().setCreates(creates).build()));
    }
    List<RegionResponse> responses = RegionCalls.sendAll(ddl.regionServer(), calls, null);
    JsonNode reported = TableInfoColumns.reportedPhysicalColumns(responses);
    if (reported != null) {
      physicalColumns = reported;
    } else {
      log.warn("creating logical tables on physical table {}: the datanodes reported no "
          + "physical columns, the physical table's schema is left unchanged", physicalTableId);
    }
    state = State.CreateMetadata;
    return Status.executing(true);
  }

  private Status createMetadata() {
    updatePhysicalTableInfo();
    List<TableMetadata.LogicalTable> remaining = new ArrayList<>();
    List<Long> tableIds = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      long tableId = tableId(tasks.get(i));
      tableIds.add(tableId);
      if (tableIdsAlreadyExists.get(i) != null) {
        continue;
      }
      ObjectNode info = tableInfo(tasks.get(i));
      ArrayNode numbers = ((ObjectNode) info.path("meta")).putArray("region_numbers");
      physicalRegionNumbers.forEach(numbers::add);
      remaining.add(new TableMetadata.LogicalTable(nameOf(tasks.get(i).getCreateTable()),
          tableId, info, new LogicalTableRouteValue(physicalTableId, physicalRegionNumbers
              .stream().map(number -> RegionId.of(tableId, number)).toList())));
    }
    new TableMetadata(ddl.writes()).createLogicalTables(remaining);
    log.info("created {} logical tables {} on physical table {}", remaining.size(), tableIds,
        physicalTableId);
    return Status.done(SerdeJson.writeString(tableIds));
  }

  /** The physical table's info with the columns its regions reported, then invalidated. */
  private void updatePhysicalTableInfo() {
    if (physicalColumns.isEmpty()) {
      return;
    }
    KeyValue stored = ddl.kv().get(new TableInfoKey(physicalTableId).toBytes())
        .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
            "Failed to find table info for table: table id - " + physicalTableId));
    TableInfoValue current = TableInfoValue.decode(stored.value());
    new TableMetadata(ddl.writes()).updateTableInfos(List.of(new TableMetadata.InfoUpdate(
        stored.value(),
        TableInfoColumns.withPhysicalColumns(current.tableInfo(), physicalColumns))));
    ddl.invalidation().invalidate(List.of(new CacheIdent.TableId(physicalTableId),
        new CacheIdent.TableName(current.catalogName(), current.schemaName(), current.name())));
  }

  private PhysicalTableRouteValue physicalRoute() {
    TableRouteValue route = ddl.kv().get(new TableRouteKey(physicalTableId).toBytes())
        .map(stored -> TableRouteValue.decode(stored.value()))
        .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
            "Failed to find table route for table id " + physicalTableId));
    if (!(route instanceof PhysicalTableRouteValue physical)) {
      throw new DdlException(DdlException.UNEXPECTED, "Table route for table id "
          + physicalTableId + " is a logical table route, expected a physical one");
    }
    return physical;
  }

  private static TableNameKey nameOf(CreateTableExpr expr) {
    return new TableNameKey(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName());
  }

  private static long tableId(CreateTableTask task) {
    return tableInfo(task).path("ident").path("table_id").asLong();
  }

  /** A copy of the task's RawTableInfo. */
  private static ObjectNode tableInfo(CreateTableTask task) {
    return (ObjectNode) SerdeJson.readTree(task.getTableInfo().toByteArray(), "RawTableInfo");
  }
}
