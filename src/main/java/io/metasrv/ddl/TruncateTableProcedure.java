package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.region.TruncateRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * TRUNCATE TABLE, GreptimeDB's {@code TruncateTableProcedure}: Prepare (the table must exist under
 * its name with this id and have a physical route), DatanodeTruncateRegions (one {@code Truncate}
 * per leader region, all at once). No metadata change, no cache invalidation.
 *
 * <p>Persisted data: {@code {"state":..., "task":{"catalog","schema","table","table_id"},
 * "region_routes":[...]}} (GreptimeDB also stores the table info value, which nothing reads back
 * here).
 */
public final class TruncateTableProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::TruncateTable";

  enum State { Prepare, DatanodeTruncateRegions }

  private final TableNameKey name;
  private final long tableId;
  private State state;
  private List<RegionRoute> regionRoutes;

  TruncateTableProcedure(DdlContext ddl, State state, TableNameKey name, long tableId,
      List<RegionRoute> regionRoutes) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.name = name;
    this.tableId = tableId;
    this.regionRoutes = regionRoutes;
  }

  static TruncateTableProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8),
        "TruncateTable data");
    JsonNode task = root.path("task");
    List<RegionRoute> routes = TableMetadata.routes(root.path("region_routes"),
        "TruncateTable region route");
    return new TruncateTableProcedure(ddl, State.valueOf(root.path("state").asText()),
        new TableNameKey(task.path("catalog").asText(), task.path("schema").asText(),
            task.path("table").asText()), task.path("table_id").asLong(), routes);
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    TableMetadata.putTableTask(root, name, tableId);
    TableMetadata.putRoutes(root, "region_routes", regionRoutes);
    return root.toString();
  }

  /** Catalog and schema shared, the table exclusive. */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(LockKey.catalogRead(name.catalog()),
        LockKey.schemaRead(name.catalog(), name.schema()), LockKey.tableWrite(tableId));
  }

  @Override
  Status step(ProcedureContext context) throws Exception {
    if (state == State.Prepare) {
      Optional<Long> storedId = ddl.kv().get(name.toBytes())
          .map(stored -> TableNameValue.decode(stored.value()).tableId());
      if (storedId.isEmpty() || storedId.get() != tableId
          || ddl.kv().get(new TableInfoKey(tableId).toBytes()).isEmpty()) {
        throw DdlException.tableNotFound(name.catalog(), name.schema(), name.table());
      }
      TableRouteValue route = ddl.kv().get(new TableRouteKey(tableId).toBytes())
          .map(stored -> TableRouteValue.decode(stored.value()))
          .orElseThrow(() -> DdlException.tableNotFound(name.catalog(), name.schema(),
              name.table()));
      if (!(route instanceof PhysicalTableRouteValue physical)) {
        throw DdlException.unsupported("Truncate of logical table " + name.table()
            + " is not supported");
      }
      regionRoutes = physical.regionRoutes();
      state = State.DatanodeTruncateRegions;
      return Status.executing(true);
    }
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (RegionRoute route : regionRoutes) {
      if (route.leaderPeer() != null) {
        calls.add(new RegionCalls.Call(route.leaderPeer(), CreateRegionRequests.withHeader()
            .setTruncate(TruncateRequest.newBuilder().setRegionId(route.regionId())).build()));
      }
    }
    RegionCalls.sendAll(ddl.regionServer(), calls, null);
    return Status.done();
  }
}
