package io.metasrv.ddl;

import com.google.protobuf.ByteString;
import io.metasrv.protocol.CreateDatabaseTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DropDatabaseTask;
import io.metasrv.protocol.DropTableTask;
import io.metasrv.protocol.Partition;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateDatabaseExpr;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.DropDatabaseExpr;
import io.metasrv.protocol.v1.DropTableExpr;
import io.metasrv.protocol.v1.QueryContext;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.protocol.v1.TableId;

/**
 * DDL tasks as GreptimeDB's frontend builds them for {@code CREATE TABLE t (ts TIMESTAMP TIME
 * INDEX, host STRING PRIMARY KEY, cpu DOUBLE)} and the other statements (reference
 * greptimedb-region-rpc.md §2.4, §4.1).
 */
final class DdlTasksFixture {
  /** The frontend's RawTableInfo of {@code t}: table id 0 (a placeholder), no regions. */
  static final String TABLE_INFO = "{\"ident\":{\"table_id\":0,\"version\":0},\"name\":\"%s\","
      + "\"desc\":null,\"catalog_name\":\"greptime\",\"schema_name\":\"%s\",\"meta\":{\"schema\":"
      + "{\"column_schemas\":[{\"name\":\"ts\",\"data_type\":"
      + "{\"Timestamp\":{\"Millisecond\":null}},"
      + "\"is_nullable\":false,\"is_time_index\":true,\"default_constraint\":null,\"metadata\":"
      + "{\"greptime:time_index\":\"true\"}},{\"name\":\"host\",\"data_type\":{\"String\":null},"
      + "\"is_nullable\":true,\"is_time_index\":false,\"default_constraint\":null,\"metadata\":{}},"
      + "{\"name\":\"cpu\",\"data_type\":{\"Float64\":{}},\"is_nullable\":true,\"is_time_index\":"
      + "false,\"default_constraint\":null,\"metadata\":{}}],\"timestamp_index\":0,\"version\":0},"
      + "\"primary_key_indices\":[1],\"value_indices\":[],\"engine\":\"mito\",\"next_column_id\":3,"
      + "\"region_numbers\":[],\"options\":{\"write_buffer_size\":null,\"ttl\":null,\"skip_wal\":"
      + "false,\"extra_options\":{}},\"created_on\":\"2025-03-31T13:25:05.123456789Z\","
      + "\"partition_key_indices\":[]},\"table_type\":\"Base\"}";

  private DdlTasksFixture() {}

  static DdlTaskRequest.Builder request() {
    return DdlTaskRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setMemberId(0))
        .setQueryContext(QueryContext.newBuilder().setCurrentCatalog("greptime")
            .setCurrentSchema("public"));
  }

  static CreateTableExpr.Builder createTableExpr(String schema, String table) {
    return CreateTableExpr.newBuilder()
        .setCatalogName("greptime").setSchemaName(schema).setTableName(table).setDesc("")
        .addColumnDefs(ColumnDef.newBuilder().setName("ts")
            .setDataType(ColumnDataType.TIMESTAMP_MILLISECOND).setIsNullable(false)
            .setSemanticType(SemanticType.TIMESTAMP))
        .addColumnDefs(ColumnDef.newBuilder().setName("host").setDataType(ColumnDataType.STRING)
            .setIsNullable(true).setSemanticType(SemanticType.TAG))
        .addColumnDefs(ColumnDef.newBuilder().setName("cpu").setDataType(ColumnDataType.FLOAT64)
            .setIsNullable(true).setSemanticType(SemanticType.FIELD).setComment("load"))
        .setTimeIndex("ts").addPrimaryKeys("host").setEngine("mito");
  }

  /** One partition per entry of {@code bounds}; unpartitioned is {@code "\"MaxValue\""} alone. */
  static CreateTableTask createTableTask(CreateTableExpr.Builder expr, String... bounds) {
    CreateTableTask.Builder task = CreateTableTask.newBuilder().setCreateTable(expr)
        .setTableInfo(ByteString.copyFromUtf8(
            String.format(TABLE_INFO, expr.getTableName(), expr.getSchemaName())));
    if (bounds.length == 0) {
      task.addPartitions(Partition.newBuilder()
          .addValueList(ByteString.copyFromUtf8("\"MaxValue\"")));
    }
    for (String bound : bounds) {
      task.addPartitions(Partition.newBuilder().addColumnList(ByteString.copyFromUtf8("host"))
          .addValueList(ByteString.copyFromUtf8(bound)));
    }
    return task.build();
  }

  static DdlTaskRequest createTable(String table) {
    return request().setCreateTableTask(createTableTask(createTableExpr("public", table)))
        .build();
  }

  static DdlTaskRequest dropTable(String schema, String table, long tableId) {
    return request().setDropTableTask(DropTableTask.newBuilder().setDropTable(
        DropTableExpr.newBuilder().setCatalogName("greptime").setSchemaName(schema)
            .setTableName(table).setTableId(TableId.newBuilder().setId((int) tableId))))
        .build();
  }

  static DdlTaskRequest createDatabase(String schema, boolean ifNotExists, String ttl) {
    CreateDatabaseExpr.Builder expr = CreateDatabaseExpr.newBuilder().setCatalogName("greptime")
        .setSchemaName(schema).setCreateIfNotExists(ifNotExists);
    if (ttl != null) {
      expr.putOptions("ttl", ttl);
    }
    return request().setCreateDatabaseTask(CreateDatabaseTask.newBuilder()
        .setCreateDatabase(expr)).build();
  }

  static DdlTaskRequest dropDatabase(String schema, boolean ifExists) {
    return request().setDropDatabaseTask(DropDatabaseTask.newBuilder().setDropDatabase(
        DropDatabaseExpr.newBuilder().setCatalogName("greptime").setSchemaName(schema)
            .setDropIfExists(ifExists))).build();
  }
}
