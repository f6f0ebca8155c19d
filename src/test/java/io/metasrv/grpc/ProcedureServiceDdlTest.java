package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.metasrv.election.StandaloneElection;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.CreateDatabaseTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DdlTaskResponse;
import io.metasrv.protocol.DropTableTask;
import io.metasrv.protocol.Partition;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateDatabaseExpr;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.DropTableExpr;
import io.metasrv.protocol.v1.QueryContext;
import io.metasrv.protocol.v1.ResponseHeader;
import io.metasrv.protocol.v1.TableId;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ProcedureService.ddl} as a GreptimeDB frontend calls it (zstd, meta header, query
 * context): answers, GreptimeDB's error codes, and the metadata and invalidations that follow.
 */
class ProcedureServiceDdlTest {
  private static final Metadata.Key<String> CODE =
      Metadata.Key.of("x-greptime-err-code", Metadata.ASCII_STRING_MARSHALLER);
  private final List<RegionRequest> regionRequests = new CopyOnWriteArrayList<>();
  private final List<Peer> regionPeers = new CopyOnWriteArrayList<>();
  private InProcessNode node;
  private SimulatedNodes nodes;
  private ProcedureServiceGrpc.ProcedureServiceBlockingStub procedures;

  @BeforeEach
  void start() {
    node = InProcessNode.startWithDdl(new MemoryKv(KvLimits.DEFAULT), new StandaloneElection(),
        new SimpleMeterRegistry(), (peer, request) -> {
          regionPeers.add(peer);
          regionRequests.add(request);
          return CompletableFuture.completedFuture(RegionResponse.newBuilder()
              .setHeader(ResponseHeader.getDefaultInstance()).build());
        });
    node.awaitLeading(true);
    procedures = ProcedureServiceGrpc.newBlockingStub(node.channel).withCompression("zstd")
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    if (nodes != null) {
      nodes.close();
    }
    node.close();
  }

  @Test
  void createsADatabaseAndATableDropsItAndTellsTheNodes() throws Exception {
    DdlTaskResponse database = procedures.ddl(request().setCreateDatabaseTask(
        CreateDatabaseTask.newBuilder().setCreateDatabase(CreateDatabaseExpr.newBuilder()
            .setCatalogName("greptime").setSchemaName("metrics"))).build());
    assertThat(database.hasHeader()).isFalse();
    assertThat(database.getPid().getKey().toStringUtf8()).hasSize(36);
    assertThat(database.getTableIdsList()).isEmpty();

    StatusRuntimeException noDatanode = refused(createTable("cpu"));
    assertThat(noDatanode.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(noDatanode.getStatus().getDescription())
        .contains("Failed to request datanode, required: 1, but only 0 available");

    nodes = new SimulatedNodes(List.of(node.addr()), MonotonicClock.SYSTEM);
    SimulatedDatanode datanode = nodes.datanode(1, "127.0.0.1:14001");
    datanode.start().get(30, TimeUnit.SECONDS);
    // until the leader has seen the datanode's heartbeat; every refused try used up a table id
    // (as in GreptimeDB, the id is allocated before the datanodes are chosen)
    DdlTaskResponse created = await().atMost(Duration.ofSeconds(10))
        .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException refused
            && refused.getStatus().getCode() == Status.Code.INTERNAL)
        .until(() -> procedures.ddl(createTable("cpu")), response -> true);
    assertThat(created.getTableIdsCount()).isEqualTo(1);
    int tableId = created.getTableIds(0).getId();
    assertThat(tableId).isGreaterThan(1024);
    assertThat(regionPeers).containsExactly(new Peer(1, "127.0.0.1:14001"));
    assertThat(regionRequests.get(0).getCreate().getPath()).isEqualTo("greptime/metrics");
    assertThat(Bytes.utf8(node.metasrv.kv().get(Bytes.utf8("__table_name/greptime/metrics/cpu"))
        .orElseThrow().value())).isEqualTo("{\"table_id\":" + tableId + "}");

    StatusRuntimeException exists = refused(createTable("cpu"));
    assertThat(exists.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(exists.getTrailers().get(CODE)).isEqualTo("4000");

    DdlTaskResponse renamed = procedures.ddl(renameTable("cpu", "cpu_total"));
    assertThat(renamed.getTableIdsList()).isEmpty();
    assertThat(node.metasrv.kv().get(Bytes.utf8("__table_name/greptime/metrics/cpu"))).isEmpty();
    assertThat(Bytes.utf8(node.metasrv.kv().get(
        Bytes.utf8("__table_name/greptime/metrics/cpu_total")).orElseThrow().value()))
        .isEqualTo("{\"table_id\":" + tableId + "}");

    DdlTaskResponse dropped = procedures.ddl(request().setDropTableTask(DropTableTask.newBuilder()
        .setDropTable(DropTableExpr.newBuilder().setCatalogName("greptime")
            .setSchemaName("metrics").setTableName("cpu_total")
            .setTableId(TableId.newBuilder().setId(tableId)))).build());
    assertThat(dropped.getTableIdsList()).isEmpty();
    assertThat(node.metasrv.kv().range(RangeRequest.prefix(Bytes.utf8("__tombstone/"))).kvs())
        .isEmpty();
    assertThat(node.metasrv.kv().range(RangeRequest.prefix(Bytes.utf8("__table"))).kvs())
        .isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> datanode.cacheInvalidations().stream()
        .anyMatch(invalidation -> invalidation.contains("cpu_total")));
    assertThat(datanode.cacheInvalidations()).contains("[{\"TableName\":{\"catalog_name\":"
        + "\"greptime\",\"schema_name\":\"metrics\",\"table_name\":\"cpu_total\"}},{\"TableId\":"
        + tableId
        + "}]");
  }

  @Test
  void badTasksGetGreptimeDbCodesAndUnsupportedOnesSayNotSupportedYet() {
    StatusRuntimeException noContext = refused(createTable("cpu").toBuilder()
        .clearQueryContext().build());
    assertThat(noContext.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(noContext.getTrailers().get(CODE)).isEqualTo("1004");
    assertThat(noContext.getStatus().getDescription())
        .isEqualTo("Missing required parameter, param: query_context");

    StatusRuntimeException view = refused(request().setCreateViewTask(
        io.metasrv.protocol.CreateViewTask.getDefaultInstance()).build());
    assertThat(view.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(view.getTrailers().get(CODE)).isEqualTo("1001");
    assertThat(view.getStatus().getDescription()).contains("not supported yet");

    StatusRuntimeException missingTable = refused(renameTable("nothing", "something"));
    assertThat(missingTable.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(missingTable.getTrailers().get(CODE)).isEqualTo("4001");
    assertThat(regionRequests).isEmpty();
  }

  private static DdlTaskRequest renameTable(String table, String newName) {
    return request().setAlterTableTask(io.metasrv.protocol.AlterTableTask.newBuilder()
        .setAlterTable(io.metasrv.protocol.v1.AlterTableExpr.newBuilder()
            .setCatalogName("greptime").setSchemaName("metrics").setTableName(table)
            .setRenameTable(io.metasrv.protocol.v1.RenameTable.newBuilder()
                .setNewTableName(newName)))).build();
  }

  private StatusRuntimeException refused(DdlTaskRequest request) {
    return (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(
        () -> procedures.ddl(request));
  }

  private static DdlTaskRequest.Builder request() {
    return DdlTaskRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setRole(Role.FRONTEND))
        .setQueryContext(QueryContext.newBuilder().setCurrentCatalog("greptime")
            .setCurrentSchema("metrics"));
  }

  private static DdlTaskRequest createTable(String table) {
    String tableInfo = "{\"ident\":{\"table_id\":0,\"version\":0},\"name\":\"" + table
        + "\",\"desc\":null,\"catalog_name\":\"greptime\",\"schema_name\":\"metrics\","
        + "\"meta\":{\"schema\":{\"column_schemas\":[],\"timestamp_index\":0,\"version\":0},"
        + "\"primary_key_indices\":[],\"value_indices\":[],\"engine\":\"mito\","
        + "\"next_column_id\":1,\"region_numbers\":[],\"options\":{\"write_buffer_size\":null,"
        + "\"ttl\":null,\"skip_wal\":false,\"extra_options\":{}},\"created_on\":"
        + "\"2025-03-31T13:25:05Z\",\"partition_key_indices\":[]},\"table_type\":\"Base\"}";
    return request().setCreateTableTask(CreateTableTask.newBuilder()
        .setCreateTable(CreateTableExpr.newBuilder().setCatalogName("greptime")
            .setSchemaName("metrics").setTableName(table).setEngine("mito").setTimeIndex("ts")
            .addColumnDefs(ColumnDef.newBuilder().setName("ts")
                .setDataType(ColumnDataType.TIMESTAMP_MILLISECOND)))
        .addPartitions(Partition.newBuilder().addValueList(ByteString.copyFromUtf8(
            "\"MaxValue\"")))
        .setTableInfo(ByteString.copyFromUtf8(tableInfo))).build();
  }
}
