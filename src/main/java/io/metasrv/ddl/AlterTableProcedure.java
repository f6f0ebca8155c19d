package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
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
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.v1.AlterTableExpr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * ALTER TABLE, GreptimeDB's {@code AlterTableProcedure} (d701c18150 {@code ddl/alter_table.rs}):
 *
 * <ol>
 *   <li>Prepare: for a rename the new name must be free; the table must exist under its name and
 *       its {@code __table_info} be readable; the new table info is built once to refuse a bad
 *       alteration before any datanode is asked ({@link TableInfoAlteration}).
 *   <li>SubmitAlterRegionRequests (not for a rename): one {@code Alter} with {@code schema_version
 *       = ident.version} per leader region of the route, all at once; RequestOutdated from a
 *       datanode is taken as done (the request landed before), retryable failures run the state
 *       again.
 *   <li>UpdateMetadata: a rename moves {@code __table_name} and renames the info; any other kind
 *       puts the new {@code __table_info} (outer version + 1) and rewrites each leader datanode's
 *       {@code __dn_table} with the new region options, in one transaction compared on the raw
 *       {@code __table_info} bytes read in Prepare. A transaction that landed before (a resumed
 *       procedure) is done.
 *   <li>InvalidateTableCache: {@code TableId} and {@code TableName}.
 * </ol>
 *
 * <p>Persisted data, GreptimeDB's {@code AlterTableData}: {@code {"state":..., "task":<base64
 * (standard, no padding) of the AlterTableTask protobuf>, "table_id":..., "table_info_value":<raw
 * __table_info read in Prepare, or null>, "region_distribution":{"<datanode>":[region numbers]} or
 * null}}.
 */
public final class AlterTableProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::AlterTable";

  enum State { Prepare, SubmitAlterRegionRequests, UpdateMetadata, InvalidateTableCache }

  private final AlterTableExpr expr;
  private final long tableId;
  private State state;
  private String tableInfoValue;
  private Map<Long, List<Long>> regionDistribution;

  AlterTableProcedure(DdlContext ddl, AlterTableExpr expr, long tableId) {
    this(ddl, State.Prepare, expr, tableId, null, null);
  }

  /**
   * The procedure for {@code expr}, on the table id its name resolves to, as GreptimeDB's {@code
   * handle_alter_table_task} resolves it: TableNotFound without {@code __table_name}, Unexpected
   * without a route or with a logical one.
   */
  static AlterTableProcedure start(DdlContext ddl, AlterTableExpr expr) {
    TableNameKey name = new TableNameKey(expr.getCatalogName(), expr.getSchemaName(),
        expr.getTableName());
    long tableId = ddl.kv().get(name.toBytes())
        .map(stored -> TableNameValue.decode(stored.value()).tableId())
        .orElseThrow(() -> DdlException.tableNotFound(name.catalog(), name.schema(),
            name.table()));
    TableRouteValue route = ddl.kv().get(new TableRouteKey(tableId).toBytes())
        .map(stored -> TableRouteValue.decode(stored.value()))
        .orElseThrow(() -> new DdlException(DdlException.UNEXPECTED,
            "Failed to find table route for table id " + tableId));
    if (!(route instanceof PhysicalTableRouteValue)) {
      throw new DdlException(DdlException.UNEXPECTED, "Unexpected logical route table: "
          + name.catalog() + "." + name.schema() + "." + name.table()
          + " is a non-physical TableRouteValue.");
    }
    return new AlterTableProcedure(ddl, expr, tableId);
  }

  private AlterTableProcedure(DdlContext ddl, State state, AlterTableExpr expr, long tableId,
      String tableInfoValue, Map<Long, List<Long>> regionDistribution) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.expr = expr;
    this.tableId = tableId;
    this.tableInfoValue = tableInfoValue;
    this.regionDistribution = regionDistribution;
  }

  static AlterTableProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8), "AlterTable data");
    AlterTableExpr expr = decodeTask(root.path("task"), AlterTableTask.parser(),
        "AlterTable data: task is not a base64 AlterTableTask").getAlterTable();
    JsonNode info = root.path("table_info_value");
    Map<Long, List<Long>> distribution = null;
    if (root.path("region_distribution").isObject()) {
      distribution = new TreeMap<>();
      for (var entry : (Iterable<Map.Entry<String, JsonNode>>)
          () -> root.path("region_distribution").fields()) {
        List<Long> numbers = new ArrayList<>();
        entry.getValue().forEach(number -> numbers.add(number.asLong()));
        distribution.put(Long.parseLong(entry.getKey()), numbers);
      }
    }
    return new AlterTableProcedure(ddl, State.valueOf(root.path("state").asText()), expr,
        root.path("table_id").asLong(), info.isTextual() ? info.asText() : null, distribution);
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    root.put("task", encodeTask(AlterTableTask.newBuilder().setAlterTable(expr).build()));
    root.put("table_id", tableId);
    if (tableInfoValue == null) {
      root.putNull("table_info_value");
    } else {
      root.put("table_info_value", tableInfoValue);
    }
    if (regionDistribution == null) {
      root.putNull("region_distribution");
    } else {
      ObjectNode distribution = root.putObject("region_distribution");
      regionDistribution.forEach((datanode, numbers) -> numbers.forEach(
          distribution.putArray(Long.toString(datanode))::add));
    }
    return root.toString();
  }

  /** Catalog and schema shared, the table exclusive, and for a rename the new name too. */
  @Override
  public LockKeys lockKeys() {
    List<LockKey> keys = new ArrayList<>(List.of(LockKey.catalogRead(expr.getCatalogName()),
        LockKey.schemaRead(expr.getCatalogName(), expr.getSchemaName()),
        LockKey.tableWrite(tableId)));
    if (isRename()) {
      keys.add(LockKey.tableNameWrite(expr.getCatalogName(), expr.getSchemaName(),
          expr.getRenameTable().getNewTableName()));
    }
    return LockKeys.of(keys.toArray(LockKey[]::new));
  }

  @Override
  Status step(ProcedureContext context) throws RetryLaterException {
    switch (state) {
      case Prepare -> prepare();
      case SubmitAlterRegionRequests -> submitAlterRegionRequests();
      case UpdateMetadata -> {
        if (isRename()) {
          rename();
        } else {
          updateTableInfo();
        }
        state = State.InvalidateTableCache;
      }
      case InvalidateTableCache -> {
        ddl.invalidation().invalidate(List.of(new CacheIdent.TableId(tableId),
            new CacheIdent.TableName(expr.getCatalogName(), expr.getSchemaName(),
                expr.getTableName())));
        return Status.done();
      }
    }
    return Status.executing(true);
  }

  private void prepare() {
    if (isRename() && ddl.kv().get(newName().toBytes()).isPresent()) {
      throw DdlException.tableAlreadyExists(expr.getCatalogName(), expr.getSchemaName(),
          expr.getRenameTable().getNewTableName());
    }
    if (ddl.kv().get(name().toBytes()).isEmpty()) {
      throw tableNotFound();
    }
    tableInfoValue = ddl.kv().get(new TableInfoKey(tableId).toBytes())
        .map(stored -> new String(stored.value(), StandardCharsets.UTF_8))
        .orElseThrow(this::tableNotFound);
    if (isRename()) {
      state = State.UpdateMetadata;
    } else {
      TableInfoAlteration.apply(currentTableInfo(), expr);
      state = State.SubmitAlterRegionRequests;
    }
  }

  private void submitAlterRegionRequests() throws RetryLaterException {
    TableRouteValue route = ddl.kv().get(new TableRouteKey(tableId).toBytes())
        .map(stored -> TableRouteValue.decode(stored.value()))
        .orElseThrow(() -> new DdlException(DdlException.UNEXPECTED,
            "Failed to find table route for table id " + tableId));
    if (!(route instanceof PhysicalTableRouteValue physical)) {
      throw new DdlException(DdlException.UNEXPECTED, "Table " + expr.getTableName() + " (id "
          + tableId + ") has a logical route; ALTER TABLE alters physical tables");
    }
    Map<Long, List<Long>> distribution = new TreeMap<>();
    TableMetadata.leaderRegionNumbers(physical).forEach((datanode, numbers) ->
        distribution.put(datanode, numbers.stream().sorted().toList()));
    JsonNode info = currentTableInfo();
    AlterRequest.Builder alter = TableInfoAlteration.regionAlter(info, expr)
        .setSchemaVersion(info.path("ident").path("version").asLong());
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (RegionRoute region : physical.regionRoutes()) {
      if (region.leaderPeer() != null) {
        calls.add(new RegionCalls.Call(region.leaderPeer(), CreateRegionRequests.withHeader()
            .setAlter(alter.clone().setRegionId(region.regionId())).build()));
      }
    }
    RegionCalls.sendAll(ddl.regionServer(), calls,
        RegionServerException.Kind.REQUEST_OUTDATED);
    regionDistribution = distribution;
    state = State.UpdateMetadata;
  }

  /**
   * GreptimeDB's {@code update_table_info}: the new info and every leader datanode's {@code
   * __dn_table} (its region info from the first one's value, region options replaced), if the
   * info is still what Prepare read; when it is not, done if it already holds the new info.
   */
  private void updateTableInfo() {
    byte[] infoKey = new TableInfoKey(tableId).toBytes();
    byte[] current = tableInfoValue.getBytes(StandardCharsets.UTF_8);
    TableInfoValue currentValue = TableInfoValue.decode(current);
    ObjectNode newInfo = TableInfoAlteration.apply(currentValue.tableInfo(), expr);
    TableInfoValue newValue = currentValue.update(newInfo);
    List<TxnOp> puts = new ArrayList<>();
    puts.add(TxnOp.put(infoKey, newValue.encode()));
    if (!regionDistribution.isEmpty()) {
      long anyDatanode = regionDistribution.keySet().iterator().next();
      var regionInfo = ddl.kv().get(new DatanodeTableKey(anyDatanode, tableId).toBytes())
          .map(stored -> DatanodeTableValue.decode(stored.value()).regionInfo())
          .orElseThrow(() -> new DdlException(DdlException.INTERNAL, "Failed to find "
              + "datanode table info, datanode id: " + anyDatanode + ", table id: " + tableId));
      var newRegionInfo = new RegionInfo(regionInfo.engine(),
          regionInfo.regionStoragePath(), TableMetadata.regionOptions(newInfo),
          regionInfo.regionWalOptions());
      regionDistribution.forEach((datanode, numbers) -> puts.add(TxnOp.put(
          new DatanodeTableKey(datanode, tableId).toBytes(),
          DatanodeTableValue.of(tableId, numbers, newRegionInfo).encode())));
    }
    boolean succeeded = ddl.writes().txn(Txn.when(List.of(Compare.valueEquals(infoKey, current)),
        puts, List.of())).succeeded();
    if (succeeded) {
      return;
    }
    Optional<KeyValue> stored = ddl.kv().get(infoKey);
    if (stored.isEmpty()) {
      throw new DdlException(DdlException.UNEXPECTED, "Reads the empty table info in comparing "
          + "operation of the updating table info");
    }
    if (!SerdeJson.readTree(stored.get().value(), "TableInfoValue")
        .equals(SerdeJson.readTree(newValue.encode(), "TableInfoValue"))) {
      throw new DdlException(DdlException.UNEXPECTED, "Metadata of table "
          + expr.getTableName() + " (id " + tableId + ") changed while it was being altered");
    }
  }

  /**
   * GreptimeDB's {@code rename_table}: {@code __table_name} moved, the info renamed with its outer
   * version + 1, compared on the raw bytes read in Prepare. Done already when a previous
   * leader's transaction went through.
   */
  private void rename() {
    byte[] infoKey = new TableInfoKey(tableId).toBytes();
    byte[] current = tableInfoValue.getBytes(StandardCharsets.UTF_8);
    byte[] renamed = renamedTableInfo(current);
    Optional<KeyValue> stored = ddl.kv().get(infoKey);
    if (stored.isPresent() && Arrays.equals(stored.get().value(), renamed)) {
      return;
    }
    boolean succeeded = ddl.writes().txn(Txn.when(
        List.of(Compare.valueEquals(infoKey, current), Compare.exists(name().toBytes()),
            Compare.absent(newName().toBytes())),
        List.of(TxnOp.delete(name().toBytes()),
            TxnOp.put(newName().toBytes(), new TableNameValue(tableId).encode()),
            TxnOp.put(infoKey, renamed)),
        List.of())).succeeded();
    if (!succeeded) {
      throw new DdlException(DdlException.INTERNAL, "Metadata of table " + expr.getTableName()
          + " (id " + tableId + ") changed while it was being renamed to "
          + expr.getRenameTable().getNewTableName());
    }
  }

  /** {@code TableInfoValue::with_update}: the name replaced, the outer version + 1. */
  private byte[] renamedTableInfo(byte[] current) {
    ObjectNode value = (ObjectNode) SerdeJson.readTree(current, "TableInfoValue");
    ((ObjectNode) value.path("table_info")).put("name", expr.getRenameTable().getNewTableName());
    value.put("version", value.path("version").asLong() + 1);
    return value.toString().getBytes(StandardCharsets.UTF_8);
  }

  private JsonNode currentTableInfo() {
    return TableInfoValue.decode(tableInfoValue.getBytes(StandardCharsets.UTF_8)).tableInfo();
  }

  private boolean isRename() {
    return expr.getKindCase() == AlterTableExpr.KindCase.RENAME_TABLE;
  }

  private TableNameKey name() {
    return new TableNameKey(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName());
  }

  private TableNameKey newName() {
    return new TableNameKey(expr.getCatalogName(), expr.getSchemaName(),
        expr.getRenameTable().getNewTableName());
  }

  private DdlException tableNotFound() {
    return DdlException.tableNotFound(expr.getCatalogName(), expr.getSchemaName(),
        expr.getTableName());
  }
}
