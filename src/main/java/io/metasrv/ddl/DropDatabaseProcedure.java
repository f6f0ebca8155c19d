package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SchemaNameKey;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.region.DropRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DROP DATABASE, GreptimeDB's {@code DropDatabaseProcedure}: DropDatabaseStart (a missing schema
 * is done with {@code drop_if_exists}, an error otherwise), DropDatabaseCursor and
 * DropDatabaseExecutor (one table at a time, logical tables before physical ones: its regions
 * dropped with {@code fast_path}, its caches invalidated, its metadata deleted for good and a
 * physical table's regions no longer watched by the failure detectors; these
 * steps are not persisted, a new leader starts the cursor over and finds only the tables left),
 * DropDatabaseRemoveMetadata (the schema key, last), DropMetadataBroadcast ({@code SchemaName}).
 *
 * <p>Unlike GreptimeDB, which deletes a table's metadata before dropping its regions, the regions
 * go first: a leader lost between the two leaves the table listed, and the next leader drops its
 * regions again (RegionNotFound counts as dropped) instead of leaving unlisted regions behind.
 *
 * <p>Persisted data: {@code {"catalog":..., "schema":..., "drop_if_exists":bool,
 * "state":{"drop_database_state":"DropDatabaseCursor"}}}.
 */
public final class DropDatabaseProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::DropDatabase";
  private static final Logger log = LoggerFactory.getLogger(DropDatabaseProcedure.class);

  enum State {
    DropDatabaseStart, DropDatabaseCursor, DropDatabaseExecutor, DropDatabaseRemoveMetadata,
    DropMetadataBroadcast, DropDatabaseEnd
  }

  private final String catalog;
  private final String schema;
  private final boolean dropIfExists;
  private State state;
  /** The table the executor drops next (not persisted). */
  private TableNameKey nextTable;

  DropDatabaseProcedure(DdlContext ddl, State state, String catalog, String schema,
      boolean dropIfExists) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.catalog = catalog;
    this.schema = schema;
    this.dropIfExists = dropIfExists;
  }

  static DropDatabaseProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8),
        "DropDatabase data");
    State state = State.valueOf(root.path("state").path("drop_database_state").asText());
    // the executor's table is not persisted: the cursor finds it again
    return new DropDatabaseProcedure(ddl,
        state == State.DropDatabaseExecutor ? State.DropDatabaseCursor : state,
        root.path("catalog").asText(), root.path("schema").asText(),
        root.path("drop_if_exists").asBoolean());
  }

  @Override
  public String dump() {
    ObjectNode root = SerdeJson.MAPPER.createObjectNode();
    root.put("catalog", catalog);
    root.put("schema", schema);
    root.put("drop_if_exists", dropIfExists);
    root.putObject("state").put("drop_database_state", state.name());
    return root.toString();
  }

  /** The catalog shared, the schema exclusive. */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(LockKey.catalogRead(catalog), LockKey.schemaWrite(catalog, schema));
  }

  @Override
  Status step(ProcedureContext context) throws Exception {
    SchemaNameKey schemaKey = new SchemaNameKey(catalog, schema);
    switch (state) {
      case DropDatabaseStart -> {
        if (ddl.kv().get(schemaKey.toBytes()).isEmpty()) {
          if (dropIfExists) {
            return Status.done();
          }
          throw DdlException.databaseNotFound(catalog, schema);
        }
        state = State.DropDatabaseCursor;
        return Status.executing(true);
      }
      case DropDatabaseCursor -> {
        Optional<TableNameKey> table = nextTable();
        if (table.isEmpty()) {
          state = State.DropDatabaseRemoveMetadata;
          return Status.executing(true);
        }
        nextTable = table.get();
        state = State.DropDatabaseExecutor;
        return Status.executing(false);
      }
      case DropDatabaseExecutor -> {
        dropTable(nextTable);
        state = State.DropDatabaseCursor;
        return Status.executing(false);
      }
      case DropDatabaseRemoveMetadata -> {
        ddl.kv().batchDelete(List.of(schemaKey.toBytes()), false);
        state = State.DropMetadataBroadcast;
        return Status.executing(true);
      }
      case DropMetadataBroadcast -> {
        ddl.invalidation().invalidate(List.of(new CacheIdent.SchemaName(catalog, schema)));
        state = State.DropDatabaseEnd;
        return Status.executing(false);
      }
      default -> {
        log.info("dropped database {}.{}", catalog, schema);
        return Status.done();
      }
    }
  }

  /** A logical table if there is one left, else a physical one, else none. */
  private Optional<TableNameKey> nextTable() {
    List<KeyValue> names = ddl.kv().range(
        RangeRequest.prefix(TableNameKey.prefix(catalog, schema))).kvs();
    TableNameKey physical = null;
    for (KeyValue entry : names) {
      TableNameKey name = TableNameKey.parse(entry.key());
      long tableId = TableNameValue.decode(entry.value()).tableId();
      Optional<TableRouteValue> route = route(tableId);
      if (route.isEmpty() || route.get() instanceof LogicalTableRouteValue) {
        return Optional.of(name);
      }
      if (physical == null) {
        physical = name;
      }
    }
    return Optional.ofNullable(physical);
  }

  private void dropTable(TableNameKey name) throws Exception {
    Optional<KeyValue> stored = ddl.kv().get(name.toBytes());
    if (stored.isEmpty()) {
      return;
    }
    long tableId = TableNameValue.decode(stored.get().value()).tableId();
    Optional<TableRouteValue> route = route(tableId);
    List<RegionRoute> regionRoutes = List.of();
    boolean physical = false;
    if (route.isPresent() && route.get() instanceof PhysicalTableRouteValue own) {
      regionRoutes = own.regionRoutes();
      physical = true;
    } else if (route.isPresent() && route.get() instanceof LogicalTableRouteValue logical) {
      regionRoutes = route(logical.physicalTableId())
          .filter(PhysicalTableRouteValue.class::isInstance)
          .map(value -> ((PhysicalTableRouteValue) value).regionRoutes()).orElse(List.of());
    }
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (RegionRoute region : regionRoutes) {
      if (region.leaderPeer() != null) {
        long regionId = RegionId.of(tableId, RegionId.regionNumber(region.regionId()));
        calls.add(new RegionCalls.Call(region.leaderPeer(), CreateRegionRequests.withHeader()
            .setDrop(DropRequest.newBuilder().setRegionId(regionId).setFastPath(true)).build()));
      }
    }
    RegionCalls.sendAll(ddl.regionServer(), calls, RegionServerException.Kind.REGION_NOT_FOUND);
    ddl.invalidation().invalidate(List.of(
        new CacheIdent.TableName(name.catalog(), name.schema(), name.table()),
        new CacheIdent.TableId(tableId)));
    List<RegionRoute> ownRoutes = physical ? regionRoutes : List.of();
    List<byte[]> keys = TableMetadata.keysOf(name, tableId, ownRoutes,
        physical ? TableMetadata.storedWalOptions(ddl.kv(), tableId, regionRoutes) : Map.of());
    ddl.kv().batchDelete(keys, false);
    ddl.failureDetectors().removeAll(TableMetadata.detectingRegions(ownRoutes));
    log.info("dropped table {} (id {}) of database {}.{}", name.table(), tableId, catalog,
        schema);
  }

  private Optional<TableRouteValue> route(long tableId) {
    return ddl.kv().get(new TableRouteKey(tableId).toBytes())
        .map(value -> TableRouteValue.decode(value.value()));
  }
}
