package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.metadata.Tombstones;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.region.DropRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DROP TABLE, GreptimeDB's {@code DropTableProcedure}: Prepare (read the route), DeleteMetadata
 * (move the table's keys under {@code __tombstone/}), InvalidateTableCache ({@code TableName},
 * {@code TableId}), DatanodeDropRegions (one {@code Drop} per leader region; RegionNotFound counts
 * as dropped), DeleteTombstone (then the failure detectors stop watching a physical table's
 * regions). A failure after Prepare of a physical table's drop rolls back:
 * the tombstones are moved back.
 *
 * <p>Persisted data, as GreptimeDB's {@code DropTableData}: {@code {"state":..., "task":{"catalog",
 * "schema","table","table_id","drop_if_exists"}, "physical_region_routes":[...],
 * "physical_table_id":null|id, "region_wal_options":{"0":{"wal.provider":...}},
 * "allow_rollback":bool}}.
 */
public final class DropTableProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::DropTable";
  private static final Logger log = LoggerFactory.getLogger(DropTableProcedure.class);

  enum State { Prepare, DeleteMetadata, InvalidateTableCache, DatanodeDropRegions, DeleteTombstone }

  /** GreptimeDB's {@code DropTableTask}. */
  record Task(String catalog, String schema, String table, long tableId, boolean dropIfExists) {
    TableNameKey name() {
      return new TableNameKey(catalog, schema, table);
    }

    /** {@code catalog.schema.table}, for logs. */
    String qualified() {
      return catalog + "." + schema + "." + table;
    }
  }

  private final Task task;
  private State state;
  private List<RegionRoute> physicalRegionRoutes;
  private Long physicalTableId;
  private Map<Long, String> regionWalOptions;
  private boolean allowRollback;

  private DropTableProcedure(DdlContext ddl, Task task, State state,
      List<RegionRoute> physicalRegionRoutes, Long physicalTableId,
      Map<Long, String> regionWalOptions, boolean allowRollback) {
    super(ddl, TYPE_NAME);
    this.task = task;
    this.state = state;
    this.physicalRegionRoutes = physicalRegionRoutes;
    this.physicalTableId = physicalTableId;
    this.regionWalOptions = regionWalOptions;
    this.allowRollback = allowRollback;
  }

  static DropTableProcedure start(DdlContext ddl, Task task) {
    return new DropTableProcedure(ddl, task, State.Prepare, List.of(), null,
        new LinkedHashMap<>(), false);
  }

  static DropTableProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8), "DropTable data");
    JsonNode t = root.path("task");
    Task task = new Task(t.path("catalog").asText(), t.path("schema").asText(),
        t.path("table").asText(), t.path("table_id").asLong(), t.path("drop_if_exists")
        .asBoolean());
    List<RegionRoute> routes = TableMetadata.routes(root.path("physical_region_routes"),
        "DropTable region route");
    JsonNode physical = root.path("physical_table_id");
    Map<Long, String> walOptions = new LinkedHashMap<>();
    root.path("region_wal_options").fields().forEachRemaining(entry ->
        walOptions.put(Long.parseLong(entry.getKey()), entry.getValue().toString()));
    return new DropTableProcedure(ddl, task, State.valueOf(root.path("state").asText()), routes,
        physical.isIntegralNumber() ? physical.asLong() : null, walOptions,
        root.path("allow_rollback").asBoolean(false));
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    TableMetadata.putTableTask(root, task.name(), task.tableId())
        .put("drop_if_exists", task.dropIfExists());
    TableMetadata.putRoutes(root, "physical_region_routes", physicalRegionRoutes);
    if (physicalTableId == null) {
      root.putNull("physical_table_id");
    } else {
      root.put("physical_table_id", physicalTableId);
    }
    ObjectNode walOptions = root.putObject("region_wal_options");
    regionWalOptions.forEach((number, json) -> walOptions.set(Long.toString(number),
        SerdeJson.readTree(json.getBytes(StandardCharsets.UTF_8), "WalOptions")));
    root.put("allow_rollback", allowRollback);
    return root.toString();
  }

  /** Catalog and schema shared, the table exclusive. */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(LockKey.catalogRead(task.catalog()),
        LockKey.schemaRead(task.catalog(), task.schema()), LockKey.tableWrite(task.tableId()));
  }

  @Override
  public boolean rollbackSupported() {
    return state != State.Prepare && allowRollback;
  }

  /**
   * A new leader holds the regions being dropped at once, as GreptimeDB's {@code recover}, from
   * DeleteMetadata to DatanodeDropRegions.
   */
  @Override
  public void recover() {
    if (state == State.DeleteMetadata || state == State.InvalidateTableCache
        || state == State.DatanodeDropRegions) {
      holdRegions(droppedRegionIds());
    }
  }

  @Override
  Status step(ProcedureContext context) throws Exception {
    return switch (state) {
      case Prepare -> prepare();
      case DeleteMetadata -> deleteMetadata();
      case InvalidateTableCache -> invalidateCache();
      case DatanodeDropRegions -> dropRegions();
      case DeleteTombstone -> deleteTombstone();
    };
  }

  private Status prepare() {
    Optional<Long> tableId = ddl.kv().get(task.name().toBytes())
        .map(stored -> TableNameValue.decode(stored.value()).tableId());
    if (tableId.isEmpty() || tableId.get() != task.tableId()) {
      if (task.dropIfExists()) {
        return Status.done();
      }
      throw DdlException.tableNotFound(task.catalog(), task.schema(), task.table());
    }
    TableRouteValue route = readRoute(task.tableId());
    if (route instanceof LogicalTableRouteValue logical) {
      physicalTableId = logical.physicalTableId();
      physicalRegionRoutes = ((PhysicalTableRouteValue) readRoute(physicalTableId))
          .regionRoutes();
      allowRollback = false;
    } else {
      physicalTableId = task.tableId();
      physicalRegionRoutes = ((PhysicalTableRouteValue) route).regionRoutes();
      regionWalOptions = TableMetadata.storedWalOptions(ddl.kv(), task.tableId(),
          physicalRegionRoutes);
      allowRollback = true;
    }
    state = State.DeleteMetadata;
    return Status.executing(true);
  }

  private TableRouteValue readRoute(long tableId) {
    return ddl.kv().get(new TableRouteKey(tableId).toBytes())
        .map(stored -> TableRouteValue.decode(stored.value()))
        .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
            "Failed to find table route for table id " + tableId));
  }

  private Status deleteMetadata() {
    holdRegions(droppedRegionIds());
    new Tombstones(ddl.kv()).bury(keys());
    log.info("deleted table metadata of {} (id {}) into tombstones", task.qualified(),
        task.tableId());
    state = State.InvalidateTableCache;
    return Status.executing(true);
  }

  private Status invalidateCache() {
    holdRegions(droppedRegionIds());
    ddl.invalidation().invalidate(List.of(
        new CacheIdent.TableName(task.catalog(), task.schema(), task.table()),
        new CacheIdent.TableId(task.tableId())));
    state = State.DatanodeDropRegions;
    return Status.executing(true);
  }

  private Status dropRegions() throws Exception {
    holdRegions(droppedRegionIds());
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (RegionRoute route : physicalRegionRoutes) {
      if (route.leaderPeer() != null) {
        calls.add(new RegionCalls.Call(route.leaderPeer(), CreateRegionRequests.withHeader()
            .setDrop(DropRequest.newBuilder().setRegionId(droppedRegionId(route))
                .setFastPath(false)).build()));
      }
    }
    RegionCalls.sendAll(ddl.regionServer(), calls, RegionServerException.Kind.REGION_NOT_FOUND);
    state = State.DeleteTombstone;
    return Status.executing(true);
  }

  private Status deleteTombstone() {
    new Tombstones(ddl.kv()).delete(keys());
    if (physical()) {
      ddl.failureDetectors().removeAll(TableMetadata.detectingRegions(physicalRegionRoutes));
    }
    log.info("dropped table {} (id {})", task.qualified(), task.tableId());
    return Status.done();
  }

  @Override
  void undo() {
    new Tombstones(ddl.kv()).restore(keys());
    log.warn("drop of table {} (id {}) failed; its metadata is restored", task.qualified(),
        task.tableId());
  }

  /** The keys moved to tombstones: a logical table has no {@code __dn_table} of its own. */
  private List<byte[]> keys() {
    return TableMetadata.keysOf(task.name(), task.tableId(),
        physical() ? physicalRegionRoutes : List.of(), regionWalOptions);
  }

  /** Whether the table has regions of its own (not a metric engine's logical table). */
  private boolean physical() {
    return physicalTableId != null && physicalTableId == task.tableId();
  }

  /** This table's region in a physical region's place (a logical table's, for metric tables). */
  private long droppedRegionId(RegionRoute route) {
    return RegionId.of(task.tableId(), RegionId.regionNumber(route.regionId()));
  }

  private Map<Long, List<Long>> droppedRegionIds() {
    Map<Long, List<Long>> ids = new java.util.TreeMap<>();
    for (RegionRoute route : physicalRegionRoutes) {
      if (route.leaderPeer() != null) {
        ids.computeIfAbsent(route.leaderPeer().id(), id -> new ArrayList<>())
            .add(droppedRegionId(route));
      }
    }
    return ids;
  }
}
