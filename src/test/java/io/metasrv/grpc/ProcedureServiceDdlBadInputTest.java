package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.metasrv.election.StandaloneElection;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.protocol.CreateDatabaseTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.Partition;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateDatabaseExpr;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.QueryContext;
import io.metasrv.protocol.v1.SemanticType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad CREATE TABLE tasks through {@code ProcedureService.ddl}, as a client could send them: each
 * is refused with GreptimeDB's InvalidArguments (status 1004, gRPC INVALID_ARGUMENT) and a message
 * naming what is wrong, before anything is written (the store is byte for byte as before, the
 * table id sequence included) or any datanode is asked.
 */
class ProcedureServiceDdlBadInputTest {
  private static final Metadata.Key<String> CODE =
      Metadata.Key.of("x-greptime-err-code", Metadata.ASCII_STRING_MARSHALLER);
  private final List<RegionRequest> regionRequests = new CopyOnWriteArrayList<>();
  private InProcessNode node;
  private ProcedureServiceGrpc.ProcedureServiceBlockingStub procedures;

  @BeforeEach
  void start() {
    node = InProcessNode.startWithDdl(new MemoryKv(KvLimits.DEFAULT), new StandaloneElection(),
        new SimpleMeterRegistry(), (peer, request) -> {
          regionRequests.add(request);
          return CompletableFuture.failedFuture(new AssertionError("no region request expected"));
        });
    node.awaitLeading(true);
    procedures = ProcedureServiceGrpc.newBlockingStub(node.channel).withCompression("zstd")
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    procedures.ddl(request().setCreateDatabaseTask(CreateDatabaseTask.newBuilder()
        .setCreateDatabase(CreateDatabaseExpr.newBuilder().setCatalogName("greptime")
            .setSchemaName("metrics"))).build());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void aTableNameOutsideGreptimeDbsPatternIsRefused() {
    for (String name : List.of("1cpu", "cpu load", "cpu/load", "")) {
      assertRefused(createTable(expr -> expr.setTableName(name)),
          "Invalid table name '" + name + "': it must match [a-zA-Z_:-][a-zA-Z0-9_:\\-\\.@#]*");
    }
    assertRefused(createTable(expr -> expr.setSchemaName("bad schema")),
        "Invalid schema name 'bad schema'");
  }

  @Test
  void anUnknownEngineIsRefused() {
    assertRefused(createTable(expr -> expr.setEngine("innodb")),
        "Unsupported table engine 'innodb' of table cpu, expected one of [mito, metric, file]");
  }

  @Test
  void aDuplicateColumnIsRefused() {
    assertRefused(createTable(expr -> expr.addColumnDefs(ColumnDef.newBuilder().setName("host")
            .setDataType(ColumnDataType.INT64).setSemanticType(SemanticType.FIELD))),
        "Duplicate column name host in table cpu");
  }

  @Test
  void aTaskWithoutQueryContextIsRefused() {
    assertRefused(createTable(UnaryOperator.identity()).toBuilder().clearQueryContext().build(),
        "Missing required parameter, param: query_context");
  }

  /** The same task, well formed, gets as far as choosing datanodes (there are none). */
  @Test
  void theWellFormedTaskPassesTheChecks() {
    StatusRuntimeException refused = (StatusRuntimeException) catchThrowable(
        () -> procedures.ddl(createTable(UnaryOperator.identity())));
    assertThat(refused.getStatus().getDescription())
        .contains("Failed to request datanode, required: 1, but only 0 available");
  }

  private void assertRefused(DdlTaskRequest request, String message) {
    Map<String, String> before = store();
    Throwable thrown = catchThrowable(() -> procedures.ddl(request));
    assertThat(thrown).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException refused = (StatusRuntimeException) thrown;
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getTrailers().get(CODE)).isEqualTo("1004");
    assertThat(refused.getStatus().getDescription()).contains(message);
    assertThat(store()).as("nothing written").isEqualTo(before);
    assertThat(regionRequests).isEmpty();
  }

  /** Every key and value in the store. */
  private Map<String, String> store() {
    Map<String, String> all = new TreeMap<>();
    for (KeyValue kv : node.metasrv.kv().range(RangeRequest.all()).kvs()) {
      all.put(Bytes.utf8(kv.key()), Bytes.utf8(kv.value()));
    }
    return all;
  }

  private static DdlTaskRequest.Builder request() {
    return DdlTaskRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setRole(Role.FRONTEND))
        .setQueryContext(QueryContext.newBuilder().setCurrentCatalog("greptime")
            .setCurrentSchema("metrics"));
  }

  /**
   * {@code CREATE TABLE metrics.cpu (ts TIMESTAMP TIME INDEX, host STRING PRIMARY KEY, cpu
   * DOUBLE)} as GreptimeDB's frontend sends it, with {@code change} applied to its expression.
   */
  private static DdlTaskRequest createTable(UnaryOperator<CreateTableExpr.Builder> change) {
    CreateTableExpr.Builder expr = CreateTableExpr.newBuilder().setCatalogName("greptime")
        .setSchemaName("metrics").setTableName("cpu").setEngine("mito").setTimeIndex("ts")
        .addColumnDefs(ColumnDef.newBuilder().setName("ts")
            .setDataType(ColumnDataType.TIMESTAMP_MILLISECOND)
            .setSemanticType(SemanticType.TIMESTAMP))
        .addColumnDefs(ColumnDef.newBuilder().setName("host").setDataType(ColumnDataType.STRING)
            .setSemanticType(SemanticType.TAG))
        .addColumnDefs(ColumnDef.newBuilder().setName("cpu").setDataType(ColumnDataType.FLOAT64)
            .setSemanticType(SemanticType.FIELD))
        .addPrimaryKeys("host");
    String tableInfo = "{\"ident\":{\"table_id\":0,\"version\":0},\"name\":\"cpu\",\"desc\":null,"
        + "\"catalog_name\":\"greptime\",\"schema_name\":\"metrics\",\"meta\":{\"schema\":"
        + "{\"column_schemas\":[],\"timestamp_index\":0,\"version\":0},\"primary_key_indices\":"
        + "[1],\"value_indices\":[],\"engine\":\"mito\",\"next_column_id\":3,\"region_numbers\":"
        + "[],\"options\":{\"write_buffer_size\":null,\"ttl\":null,\"skip_wal\":false,"
        + "\"extra_options\":{}},\"created_on\":\"2025-03-31T13:25:05Z\","
        + "\"partition_key_indices\":[]},\"table_type\":\"Base\"}";
    return request().setCreateTableTask(CreateTableTask.newBuilder()
        .setCreateTable(change.apply(expr))
        .addPartitions(Partition.newBuilder().addValueList(ByteString.copyFromUtf8(
            "\"MaxValue\"")))
        .setTableInfo(ByteString.copyFromUtf8(tableInfo))).build();
  }
}
