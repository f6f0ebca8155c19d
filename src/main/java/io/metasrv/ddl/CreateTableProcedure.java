package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvFutures;
import io.metasrv.kv.TxnOp;
import io.metasrv.metadata.Partition;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.TableId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CREATE TABLE, GreptimeDB's {@code CreateTableProcedure}: Prepare (the table id, the route with
 * one region per partition led by the selected datanodes, the WAL options), DatanodeCreateRegions
 * (the check that the table does not exist, whose read ran while Prepare's step was stored; then
 * one {@code Create} per region, all at once, the metadata encoded while the datanodes create
 * them; see below for Creates that Prepare already sent), CreateMetadata (one transaction, which
 * also deletes the procedure's records when the runner knows them; then the failure detectors
 * watch the new leader regions). Output: the table id. No rollback (as GreptimeDB: regions
 * created on datanodes are left, and closed there once no lease keeps them). No cache
 * invalidation.
 *
 * <p>Unlike GreptimeDB, the step from DatanodeCreateRegions to CreateMetadata is not stored: a
 * create takes two sequential store writes (Prepare's step, then the metadata), not three. A
 * leader that dies after the regions were created and before the metadata landed is succeeded
 * by one that runs DatanodeCreateRegions again: the datanodes take a repeated Create of a region
 * they have as done (mito's {@code handle_create_request}, which the metric engine's physical
 * regions go through too), as they already must for a state retried after a retryable failure.
 *
 * <p>Also unlike GreptimeDB, Prepare has the Creates sent when it already knows the name is free
 * (the leader's cache answered the name lookup from memory, the common case) and the table id
 * came from the sequence: on {@link DdlContext#sender()}, which starts the calls (each request
 * is serialized and compressed then) and encodes the metadata, while the runner stores Prepare's
 * step; DatanodeCreateRegions waits for both. A create then waits for one store write before its
 * metadata transaction instead of two in a row. The cost: a leader that dies, or a step write
 * that fails, in that window leaves regions on datanodes that no stored procedure or route
 * names, the state a failed create leaves in GreptimeDB too: no lease keeps them, so the
 * datanodes close them, and their table id is never handed out again (the sequence stores its
 * bound before it hands ids out). A task that names its own table id waits for the step, so a
 * retried task never creates a region that a closed one of the same id is in the way of.
 *
 * <p>Persisted data, as GreptimeDB's {@code CreateTableData}: {@code {"state":..., "task":"<base64
 * of the protobuf CreateTableTask, no padding>", "table_route":{"region_routes":[...],
 * "version":0}|null, "region_wal_options":{"0":"<WAL options JSON>"}|null}}; the allocated table id
 * lives in the task's {@code table_info.ident.table_id}.
 */
public final class CreateTableProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::CreateTable";
  private static final Logger log = LoggerFactory.getLogger(CreateTableProcedure.class);
  /** Ids at or above this come from the sequence; a caller may only pick ids below it. */
  static final long MIN_USER_TABLE_ID = 1024;

  enum State { Prepare, DatanodeCreateRegions, CreateMetadata }

  private State state;
  private CreateTableTask task;
  private PhysicalTableRouteValue tableRoute;
  private Map<Long, String> regionWalOptions;
  /** The {@code __table_name} read Prepare started, until DatanodeCreateRegions takes it. */
  private CompletableFuture<Optional<KeyValue>> nameLookup;
  /** The Creates Prepare had sent and the metadata, until DatanodeCreateRegions takes them. */
  private CompletableFuture<SentCreates> sentCreates;
  /** The metadata encoded while the regions were created, for CreateMetadata. */
  private TableMetadata.NewTable newTable;

  private CreateTableProcedure(DdlContext ddl, State state, CreateTableTask task,
      PhysicalTableRouteValue tableRoute, Map<Long, String> regionWalOptions) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.task = task;
    this.tableRoute = tableRoute;
    this.regionWalOptions = regionWalOptions;
  }

  /** A new procedure for a task the {@link DdlManager} checked. */
  static CreateTableProcedure start(DdlContext ddl, CreateTableTask task) {
    return new CreateTableProcedure(ddl, State.Prepare, task, null, null);
  }

  /** A procedure read back from its stored data. */
  static CreateTableProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8), "CreateTable data");
    CreateTableTask task = decodeTask(root.path("task"), CreateTableTask.parser(),
        "CreateTable data has no valid task");
    JsonNode route = root.path("table_route");
    PhysicalTableRouteValue tableRoute = route.isObject()
        ? SerdeJson.convert(route, PhysicalTableRouteValue.class, "CreateTable table_route")
        : null;
    return new CreateTableProcedure(ddl, State.valueOf(root.path("state").asText()), task,
        tableRoute, TableMetadata.walOptionsFromJson(root.path("region_wal_options")));
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    root.put("task", encodeTask(task));
    if (tableRoute == null) {
      root.putNull("table_route");
    } else {
      ObjectNode route = (ObjectNode) SerdeJson.MAPPER.valueToTree(tableRoute);
      route.remove("type");
      root.set("table_route", route);
    }
    if (regionWalOptions == null) {
      root.putNull("region_wal_options");
    } else {
      root.set("region_wal_options", TableMetadata.walOptionsToJson(regionWalOptions));
    }
    return root.toString();
  }

  /** Catalog and schema shared, the table name exclusive. */
  @Override
  public LockKeys lockKeys() {
    CreateTableExpr expr = task.getCreateTable();
    return LockKeys.of(LockKey.catalogRead(expr.getCatalogName()),
        LockKey.schemaRead(expr.getCatalogName(), expr.getSchemaName()),
        LockKey.tableNameWrite(expr.getCatalogName(), expr.getSchemaName(),
            expr.getTableName()));
  }

  /**
   * A new leader holds the regions of an allocated route at once, as GreptimeDB's {@code
   * recover}: before the step that created them runs again, a datanode's lease renewal would
   * otherwise close regions no route names yet.
   */
  @Override
  public void recover() {
    if (tableRoute != null) {
      holdRegions(TableMetadata.leaderRegionIds(tableRoute));
    }
  }

  @Override
  Status step(ProcedureContext context) throws Exception {
    return switch (state) {
      case Prepare -> prepare();
      case DatanodeCreateRegions -> createRegions();
      case CreateMetadata -> createMetadata(context);
    };
  }

  /**
   * Allocates the table id, the route and the WAL options. The read of {@code __table_name} that
   * tells whether the table exists is started here and waited for by DatanodeCreateRegions,
   * before any region is created: it runs while the runner stores this step (when the leader's
   * cache cannot answer it from memory, see {@link io.metasrv.kv.LeaderCachedKv}). When the cache
   * did answer that the name is free, the Creates are sent from here (see the class comment). A
   * create of an existing table therefore stores a step and uses up a table id before it fails
   * (or, with {@code create_if_not_exists}, answers the existing id); the table-name lock keeps
   * any other create of the name on this leader out meanwhile.
   */
  private Status prepare() throws RetryLaterException {
    CreateTableExpr expr = task.getCreateTable();
    nameLookup = ddl.kv().getAsync(tableName().toBytes());
    long tableId = allocateTableId(ddl, expr);
    int regions = task.getPartitionsCount();
    List<Peer> peers = ddl.peers().select(regions);
    List<RegionRoute> routes = new ArrayList<>(regions);
    for (int number = 0; number < regions; number++) {
      io.metasrv.protocol.Partition partition = task.getPartitions(number);
      Region region = new Region(RegionId.of(tableId, number), "", new Partition(
          partition.getColumnListList().stream().map(ByteString::toStringUtf8).toList(),
          partition.getValueListList().stream().map(ByteString::toStringUtf8).toList()),
          new TreeMap<>());
      routes.add(RegionRoute.led(region, peers.get(number % peers.size())));
    }
    List<Integer> numbers = java.util.stream.IntStream.range(0, regions).boxed().toList();
    Map<Long, String> walOptions = new LinkedHashMap<>();
    ObjectNode info = tableInfo();
    try {
      ddl.walOptions().allocate(numbers, TableMetadata.skipWal(info))
          .forEach((number, options) -> walOptions.put((long) number, options));
    } catch (WalOptionsUnavailableException e) {
      // a new leader's Kafka topics are still being created: nothing is allocated yet
      throw new RetryLaterException(e.getMessage(), e);
    }
    ((ObjectNode) info.path("ident")).put("table_id", tableId);
    task = task.toBuilder()
        .setCreateTable(expr.toBuilder().setTableId(TableId.newBuilder().setId((int) tableId)))
        .setTableInfo(ByteString.copyFrom(SerdeJson.write(info)))
        .build();
    tableRoute = PhysicalTableRouteValue.of(routes);
    regionWalOptions = walOptions;
    if (!expr.hasTableId() && knownFree(nameLookup)) {
      holdRegions(TableMetadata.leaderRegionIds(tableRoute));
      sentCreates = CompletableFuture.supplyAsync(this::sendCreates, ddl.sender());
    }
    state = State.DatanodeCreateRegions;
    return Status.executing(true);
  }

  /**
   * The id a new table gets, GreptimeDB's {@code allocate_table_id}: the one the task asks for,
   * when below the sequence's range, else the next of the {@code table_id} sequence.
   */
  static long allocateTableId(DdlContext ddl, CreateTableExpr expr) {
    if (expr.hasTableId()) {
      long requested = Integer.toUnsignedLong(expr.getTableId().getId());
      if (requested >= MIN_USER_TABLE_ID) {
        throw DdlException.unsupported("create table by id " + requested
            + " that is reserved in this node");
      }
      return requested;
    }
    return ddl.tableIds().getAsLong();
  }

  private Status createRegions() throws Exception {
    Optional<KeyValue> existing = awaitNameLookup();
    if (existing.isPresent()) {
      TableNameKey name = tableName();
      if (task.getCreateTable().getCreateIfNotExists()) {
        return Status.done(Long.toString(TableNameValue.decode(existing.get().value()).tableId()));
      }
      throw DdlException.tableAlreadyExists(name.catalog(), name.schema(), name.table());
    }
    SentCreates sent;
    if (sentCreates != null) {
      sent = await(sentCreates);
      sentCreates = null;
    } else {
      holdRegions(TableMetadata.leaderRegionIds(tableRoute));
      sent = sendCreates();
    }
    newTable = sent.newTable();
    RegionCalls.awaitAll(sent.answers(), null);
    state = State.CreateMetadata;
    // Not stored: see the class comment (a successor runs the Creates again instead).
    return Status.executing(false);
  }

  /** The answers to come to the Creates sent, and the metadata encoded after sending them. */
  private record SentCreates(List<CompletableFuture<RegionResponse>> answers,
      TableMetadata.NewTable newTable) {}

  /**
   * Sends one {@code Create} per region (the caller holds the regions), then encodes the
   * metadata while the datanodes create them.
   */
  private SentCreates sendCreates() {
    CreateTableExpr expr = task.getCreateTable();
    long tableId = tableId();
    List<RegionCalls.Call> calls = new ArrayList<>();
    for (RegionRoute route : tableRoute.regionRoutes()) {
      long number = RegionId.regionNumber(route.regionId());
      calls.add(new RegionCalls.Call(route.leaderPeer(), CreateRegionRequests.create(expr,
          tableId, number, regionWalOptions.get(number))));
    }
    return new SentCreates(RegionCalls.send(ddl.regionServer(), calls), newTable());
  }

  /** Whether the name lookup has already answered, without a failure, that no table has it. */
  private static boolean knownFree(CompletableFuture<Optional<KeyValue>> lookup) {
    return lookup.isDone() && !lookup.isCompletedExceptionally() && lookup.join().isEmpty();
  }

  /**
   * The metadata transaction; for a procedure whose records the runner knows, it also deletes
   * them, so the create is finished in the store when its metadata lands (what GreptimeDB's
   * commit record and the deletion after it come to, in one write instead of three).
   */
  private Status createMetadata(ProcedureContext context) {
    holdRegions(TableMetadata.leaderRegionIds(tableRoute));
    long tableId = tableId();
    TableMetadata.NewTable metadata = newTable != null ? newTable : newTable();
    newTable = null;
    Optional<List<TxnOp>> recordDeletions = context.recordDeletions();
    boolean ranAlongside = new TableMetadata(ddl.writes()).create(metadata,
        recordDeletions.orElse(List.of()));
    ddl.failureDetectors().register(TableMetadata.detectingRegions(tableRoute.regionRoutes()));
    log.info("created table {}.{}.{} ({} regions) as id {}", tableName().catalog(),
        tableName().schema(), tableName().table(),
        tableRoute.regionRoutes().size(), tableId);
    return recordDeletions.isPresent() && ranAlongside
        ? Status.doneWithRecordsDeleted(Long.toString(tableId))
        : Status.done(Long.toString(tableId));
  }

  /**
   * The table's metadata as CreateMetadata stores it: the RawTableInfo with {@code
   * region_numbers} filled from the route.
   */
  private TableMetadata.NewTable newTable() {
    ObjectNode info = tableInfo();
    ArrayNode regionNumbers = ((ObjectNode) info.path("meta")).putArray("region_numbers");
    tableRoute.regionRoutes().forEach(
        route -> regionNumbers.add(RegionId.regionNumber(route.regionId())));
    return TableMetadata.NewTable.of(tableName(), tableId(), info, tableRoute,
        TableMetadata.regionInfo(task.getCreateTable(), info, regionWalOptions));
  }

  /**
   * The table's {@code __table_name} entry: what the read Prepare started found, or, for a
   * procedure loaded from the store or a step tried again, a read now.
   */
  private Optional<KeyValue> awaitNameLookup() throws Exception {
    CompletableFuture<Optional<KeyValue>> lookup = nameLookup != null ? nameLookup
        : ddl.kv().getAsync(tableName().toBytes());
    nameLookup = null;
    return await(lookup);
  }

  /** What {@code future} gives; its failure is thrown as the exception that failed it. */
  private static <T> T await(CompletableFuture<T> future) throws Exception {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (KvFutures.cause(e) instanceof Exception failure) {
        throw failure;
      }
      throw e;
    }
  }

  private TableNameKey tableName() {
    CreateTableExpr expr = task.getCreateTable();
    return new TableNameKey(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName());
  }

  /** The allocated table id: the task's {@code create_table.table_id}, set by Prepare. */
  private long tableId() {
    return Integer.toUnsignedLong(task.getCreateTable().getTableId().getId());
  }

  /** A copy of the task's RawTableInfo. */
  private ObjectNode tableInfo() {
    return (ObjectNode) SerdeJson.readTree(task.getTableInfo().toByteArray(), "RawTableInfo");
  }
}
