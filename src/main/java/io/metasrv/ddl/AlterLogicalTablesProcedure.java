package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.heartbeat.instruction.CacheIdent;
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
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.region.AddColumn;
import io.metasrv.protocol.region.AddColumns;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.AlterRequests;
import io.metasrv.protocol.region.RegionColumnDef;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.AlterTableExpr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ADD COLUMN on the metric engine's logical tables ({@code AlterTableTasks}, which Prometheus
 * remote write sends when a series brings new labels), GreptimeDB's {@code
 * AlterLogicalTablesProcedure}:
 *
 * <ul>
 *   <li>Prepare: the tasks name one schema and only add columns; each table's {@code
 *       __table_info} is read (kept as raw bytes for the compare-and-put), each must be a logical
 *       table of this physical table; the physical table's info and route are read. Tasks whose
 *       columns all exist already are dropped; when none is left, straight to
 *       InvalidateTableCache.
 *   <li>SubmitAlterRegionRequests: one {@code Alters} per leader of the physical regions: per task
 *       and physical region of that leader, an {@code AddColumns} on the logical region (column
 *       ids left 0, the metric engine assigns them) at the table's schema version. The answers'
 *       {@code ALTER_PHYSICAL} extension, the physical region's columns, is kept.
 *   <li>UpdateMetadata: the physical table's info rewritten with the reported columns, when
 *       reported; each logical table's info with its new columns, sorted by name, {@code
 *       ident.version} + 1; compared against the values read in Prepare, {@code max_txn_ops}
 *       tables per transaction.
 *   <li>InvalidateTableCache: TableId and TableName of each logical table, then the physical's.
 * </ul>
 *
 * <p>Persisted data, as GreptimeDB's {@code AlterTablesData}: {@code {"state":..., "tasks":["<
 * base64 of the protobuf AlterTableTask, no padding>",...], "table_info_values":["<raw
 * __table_info>",...], "physical_table_id":..., "physical_table_info":"<raw>"|null,
 * "physical_table_route":{"region_routes":[...],"version":..}|null, "physical_columns":[...]}}.
 */
public final class AlterLogicalTablesProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::AlterLogicalTables";
  private static final Logger log = LoggerFactory.getLogger(AlterLogicalTablesProcedure.class);

  enum State { Prepare, SubmitAlterRegionRequests, UpdateMetadata, InvalidateTableCache }

  private State state;
  private List<AlterTableTask> tasks;
  private List<String> tableInfoValues;
  private final long physicalTableId;
  private String physicalTableInfo;
  private PhysicalTableRouteValue physicalTableRoute;
  private JsonNode physicalColumns;

  private AlterLogicalTablesProcedure(DdlContext ddl, State state, List<AlterTableTask> tasks,
      List<String> tableInfoValues, long physicalTableId, String physicalTableInfo,
      PhysicalTableRouteValue physicalTableRoute, JsonNode physicalColumns) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.tasks = tasks;
    this.tableInfoValues = tableInfoValues;
    this.physicalTableId = physicalTableId;
    this.physicalTableInfo = physicalTableInfo;
    this.physicalTableRoute = physicalTableRoute;
    this.physicalColumns = physicalColumns;
  }

  /** A new procedure for tasks the {@link DdlManager} checked, on that physical table. */
  static AlterLogicalTablesProcedure start(DdlContext ddl, List<AlterTableTask> tasks,
      long physicalTableId) {
    return new AlterLogicalTablesProcedure(ddl, State.Prepare, List.copyOf(tasks), List.of(),
        physicalTableId, null, null, SerdeJson.MAPPER.createArrayNode());
  }

  /** A procedure read back from its stored data. */
  static AlterLogicalTablesProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8),
        "AlterLogicalTables data");
    List<AlterTableTask> tasks = new ArrayList<>();
    for (JsonNode task : root.path("tasks")) {
      tasks.add(decodeTask(task, AlterTableTask.parser(),
          "AlterLogicalTables data has an invalid task"));
    }
    List<String> infos = new ArrayList<>();
    root.path("table_info_values").forEach(info -> infos.add(info.asText()));
    JsonNode physicalInfo = root.path("physical_table_info");
    JsonNode route = root.path("physical_table_route");
    JsonNode columns = root.path("physical_columns");
    return new AlterLogicalTablesProcedure(ddl, State.valueOf(root.path("state").asText()),
        tasks, infos, root.path("physical_table_id").asLong(),
        physicalInfo.isTextual() ? physicalInfo.asText() : null,
        route.isObject() ? SerdeJson.convert(route, PhysicalTableRouteValue.class,
            "AlterLogicalTables physical_table_route") : null,
        columns.isArray() ? columns : SerdeJson.MAPPER.createArrayNode());
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    ArrayNode encoded = root.putArray("tasks");
    tasks.forEach(task -> encoded.add(encodeTask(task)));
    ArrayNode infos = root.putArray("table_info_values");
    tableInfoValues.forEach(infos::add);
    root.put("physical_table_id", physicalTableId);
    root.put("physical_table_info", physicalTableInfo);
    if (physicalTableRoute == null) {
      root.putNull("physical_table_route");
    } else {
      ObjectNode route = (ObjectNode) SerdeJson.MAPPER.valueToTree(physicalTableRoute);
      route.remove("type");
      root.set("physical_table_route", route);
    }
    root.set("physical_columns", physicalColumns);
    return root.toString();
  }

  /**
   * Catalog and schema (of the first task) shared, the physical table exclusive, and each
   * logical table read in Prepare exclusive: as in GreptimeDB, a new submission has read none
   * yet and holds the physical table's lock alone; a recovered one holds theirs too.
   */
  @Override
  public LockKeys lockKeys() {
    AlterTableExpr first = tasks.get(0).getAlterTable();
    List<LockKey> keys = new ArrayList<>();
    keys.add(LockKey.catalogRead(first.getCatalogName()));
    keys.add(LockKey.schemaRead(first.getCatalogName(), first.getSchemaName()));
    keys.add(LockKey.tableWrite(physicalTableId));
    tableInfoValues.forEach(info -> keys.add(LockKey.tableWrite(infoOf(info).tableId())));
    return LockKeys.of(keys.toArray(LockKey[]::new));
  }

  @Override
  Status step(ProcedureContext context) throws Exception {
    switch (state) {
      case Prepare -> prepare();
      case SubmitAlterRegionRequests -> alterRegions();
      case UpdateMetadata -> updateMetadata();
      case InvalidateTableCache -> {
        invalidateCaches();
        return Status.done();
      }
    }
    return Status.executing(true);
  }

  private void prepare() {
    checkTasks();
    List<String> infos = new ArrayList<>();
    for (AlterTableTask task : tasks) {
      AlterTableExpr expr = task.getAlterTable();
      TableNameKey name = new TableNameKey(expr.getCatalogName(), expr.getSchemaName(),
          expr.getTableName());
      long tableId = ddl.kv().get(name.toBytes())
          .map(stored -> TableNameValue.decode(stored.value()).tableId())
          .orElseThrow(() -> DdlException.tableNotFound(name.catalog(), name.schema(),
              name.table()));
      infos.add(ddl.kv().get(new TableInfoKey(tableId).toBytes())
          .map(stored -> new String(stored.value(), StandardCharsets.UTF_8))
          .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
              "Failed to find table info for table: " + name.catalog() + "." + name.schema()
                  + "." + name.table())));
      boolean samePhysical = ddl.kv().get(new TableRouteKey(tableId).toBytes())
          .map(stored -> TableRouteValue.decode(stored.value()))
          .filter(route -> route instanceof LogicalTableRouteValue logical
              && logical.physicalTableId() == physicalTableId)
          .isPresent();
      if (!samePhysical) {
        throw DdlException.invalidArguments("Alter logical tables invalid arguments: All the "
            + "tasks should have the same physical table id");
      }
    }
    tableInfoValues = infos;
    physicalTableInfo = ddl.kv().get(new TableInfoKey(physicalTableId).toBytes())
        .map(stored -> new String(stored.value(), StandardCharsets.UTF_8))
        .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
            "Failed to find table info for table: table id - " + physicalTableId));
    TableRouteValue route = ddl.kv().get(new TableRouteKey(physicalTableId).toBytes())
        .map(stored -> TableRouteValue.decode(stored.value()))
        .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
            "Failed to find table route for table id " + physicalTableId));
    if (!(route instanceof PhysicalTableRouteValue physical)) {
      throw DdlException.invalidArguments("Alter logical tables invalid arguments: expected a "
          + "physical table but got a logical table: " + physicalTableId);
    }
    physicalTableRoute = physical;
    List<AlterTableTask> unfinished = new ArrayList<>();
    List<String> unfinishedInfos = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      if (!finished(tasks.get(i), infoOf(tableInfoValues.get(i)))) {
        unfinished.add(tasks.get(i));
        unfinishedInfos.add(tableInfoValues.get(i));
      }
    }
    if (unfinished.isEmpty()) {
      log.info("all {} alter tasks on logical tables of physical table {} are done already",
          tasks.size(), physicalTableId);
      state = State.InvalidateTableCache;
      return;
    }
    tasks = unfinished;
    tableInfoValues = unfinishedInfos;
    state = State.SubmitAlterRegionRequests;
  }

  private void checkTasks() {
    AlterTableExpr first = tasks.get(0).getAlterTable();
    for (AlterTableTask task : tasks) {
      AlterTableExpr expr = task.getAlterTable();
      if (!expr.getCatalogName().equals(first.getCatalogName())
          || !expr.getSchemaName().equals(first.getSchemaName())) {
        throw DdlException.invalidArguments(
            "Alter logical tables invalid arguments: Schemas of the tasks are not the same");
      }
      if (expr.getKindCase() == AlterTableExpr.KindCase.KIND_NOT_SET) {
        throw DdlException.invalidArguments(
            "Alter logical tables invalid arguments: Alter kind is missing");
      }
      if (expr.getKindCase() != AlterTableExpr.KindCase.ADD_COLUMNS) {
        throw DdlException.invalidArguments(
            "Alter logical tables invalid arguments: Only support add columns operation");
      }
    }
  }

  /** Every column the task adds is in the table already. */
  private static boolean finished(AlterTableTask task, TableInfoValue info) {
    Set<String> columns = new HashSet<>();
    info.tableInfo().path("meta").path("schema").path("column_schemas")
        .forEach(column -> columns.add(column.path("name").asText()));
    return task.getAlterTable().getAddColumns().getAddColumnsList().stream()
        .allMatch(add -> add.hasColumnDef() && columns.contains(add.getColumnDef().getName()));
  }

  private void alterRegions() throws Exception {
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (Map.Entry<Peer, List<Long>> leader
        : TableMetadata.regionNumbersByLeader(physicalTableRoute.regionRoutes()).entrySet()) {
      AlterRequests.Builder alters = AlterRequests.newBuilder();
      for (int i = 0; i < tasks.size(); i++) {
        TableInfoValue info = infoOf(tableInfoValues.get(i));
        long schemaVersion = info.tableInfo().path("ident").path("version").asLong();
        AddColumns.Builder add = AddColumns.newBuilder();
        tasks.get(i).getAlterTable().getAddColumns().getAddColumnsList().forEach(column ->
            add.addAddColumns(AddColumn.newBuilder().setColumnDef(
                RegionColumnDef.newBuilder().setColumnDef(column.getColumnDef()))));
        for (long number : leader.getValue()) {
          alters.addRequests(AlterRequest.newBuilder()
              .setRegionId(RegionId.of(info.tableId(), number))
              .setSchemaVersion(schemaVersion)
              .setAddColumns(add));
        }
      }
      calls.add(new RegionCalls.Call(leader.getKey(),
          CreateRegionRequests.withHeader().setAlters(alters).build()));
    }
    List<RegionResponse> responses = RegionCalls.sendAll(ddl.regionServer(), calls, null);
    JsonNode reported = TableInfoColumns.reportedPhysicalColumns(responses);
    if (reported != null) {
      physicalColumns = reported;
    } else {
      log.warn("altering logical tables on physical table {}: the datanodes reported no "
          + "physical columns, the physical table's schema is left unchanged", physicalTableId);
    }
    state = State.UpdateMetadata;
  }

  private void updateMetadata() {
    TableMetadata metadata = new TableMetadata(ddl.writes());
    if (!physicalColumns.isEmpty()) {
      byte[] current = physicalTableInfo.getBytes(StandardCharsets.UTF_8);
      metadata.updateTableInfos(List.of(new TableMetadata.InfoUpdate(current,
          TableInfoColumns.withPhysicalColumns(infoOf(physicalTableInfo).tableInfo(),
              physicalColumns))));
    }
    List<TableMetadata.InfoUpdate> updates = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      String raw = tableInfoValues.get(i);
      updates.add(new TableMetadata.InfoUpdate(raw.getBytes(StandardCharsets.UTF_8),
          TableInfoColumns.withAddedColumns(infoOf(raw).tableInfo(),
              tasks.get(i).getAlterTable().getAddColumns().getAddColumnsList())));
    }
    metadata.updateTableInfos(updates);
    log.info("added columns to {} logical tables of physical table {}", tasks.size(),
        physicalTableId);
    state = State.InvalidateTableCache;
  }

  private void invalidateCaches() {
    List<CacheIdent> idents = new ArrayList<>();
    for (String raw : tableInfoValues) {
      TableInfoValue info = infoOf(raw);
      idents.add(new CacheIdent.TableId(info.tableId()));
      idents.add(new CacheIdent.TableName(info.catalogName(), info.schemaName(), info.name()));
    }
    TableInfoValue physical = infoOf(physicalTableInfo);
    idents.add(new CacheIdent.TableId(physicalTableId));
    idents.add(new CacheIdent.TableName(physical.catalogName(), physical.schemaName(),
        physical.name()));
    ddl.invalidation().invalidate(idents);
  }

  private static TableInfoValue infoOf(String raw) {
    return TableInfoValue.decode(raw.getBytes(StandardCharsets.UTF_8));
  }
}
