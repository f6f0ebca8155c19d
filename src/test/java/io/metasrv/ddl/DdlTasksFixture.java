package io.metasrv.ddl;

import com.google.protobuf.ByteString;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.AlterTableTasks;
import io.metasrv.protocol.CreateDatabaseTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.CreateTableTasks;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DropDatabaseTask;
import io.metasrv.protocol.DropTableTask;
import io.metasrv.protocol.DropTableTasks;
import io.metasrv.protocol.Partition;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.v1.AddColumn;
import io.metasrv.protocol.v1.AddColumns;
import io.metasrv.protocol.v1.AlterTableExpr;
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

  static final String TIMESTAMP_COLUMN = "{\"name\":\"greptime_timestamp\",\"data_type\":"
      + "{\"Timestamp\":{\"Millisecond\":null}},\"is_nullable\":false,\"is_time_index\":true,"
      + "\"default_constraint\":null,\"metadata\":{\"greptime:time_index\":\"true\"}}";
  static final String VALUE_COLUMN = "{\"name\":\"greptime_value\",\"data_type\":"
      + "{\"Float64\":{}},\"is_nullable\":true,\"is_time_index\":false,"
      + "\"default_constraint\":null,\"metadata\":{}}";

  /**
   * The frontend's RawTableInfo of a metric-engine logical table as Prometheus remote write
   * creates it: {@code greptime_timestamp}, {@code greptime_value} and the labels {@code job} and
   * {@code instance} (tags), in that order; on physical table {@code phy}.
   */
  static final String LOGICAL_TABLE_INFO = "{\"ident\":{\"table_id\":0,\"version\":0},"
      + "\"name\":\"%s\",\"desc\":\"Created on insertion\",\"catalog_name\":\"greptime\","
      + "\"schema_name\":\"public\",\"meta\":{\"schema\":{\"column_schemas\":["
      + TIMESTAMP_COLUMN + "," + VALUE_COLUMN + "," + tagColumn("job") + ","
      + tagColumn("instance") + "],\"timestamp_index\":0,\"version\":0},"
      + "\"primary_key_indices\":[2,3],\"value_indices\":[1],\"engine\":\"metric\","
      + "\"next_column_id\":4,\"region_numbers\":[],\"options\":{\"write_buffer_size\":null,"
      + "\"ttl\":null,\"skip_wal\":false,\"extra_options\":{\"on_physical_table\":\"phy\"}},"
      + "\"created_on\":\"2025-03-31T13:25:05.123456789Z\",\"partition_key_indices\":[]},"
      + "\"table_type\":\"Base\"}";

  private DdlTasksFixture() {}

  /** A String label column's schema as GreptimeDB stores it. */
  static String tagColumn(String name) {
    return "{\"name\":\"" + name + "\",\"data_type\":{\"String\":null},\"is_nullable\":true,"
        + "\"is_time_index\":false,\"default_constraint\":null,\"metadata\":{}}";
  }

  /**
   * The physical table {@code phy} of engine {@code metric} that logical tables live in, one
   * region per bound (unpartitioned when none).
   */
  static DdlTaskRequest createPhysicalTable(String... bounds) {
    CreateTableExpr.Builder expr = CreateTableExpr.newBuilder()
        .setCatalogName("greptime").setSchemaName("public").setTableName("phy").setDesc("")
        .addColumnDefs(ColumnDef.newBuilder().setName("greptime_timestamp")
            .setDataType(ColumnDataType.TIMESTAMP_MILLISECOND).setIsNullable(false)
            .setSemanticType(SemanticType.TIMESTAMP))
        .addColumnDefs(ColumnDef.newBuilder().setName("greptime_value")
            .setDataType(ColumnDataType.FLOAT64).setIsNullable(true)
            .setSemanticType(SemanticType.FIELD))
        .setTimeIndex("greptime_timestamp").setEngine("metric")
        .putTableOptions("physical_metric_table", "");
    String info = "{\"ident\":{\"table_id\":0,\"version\":0},\"name\":\"phy\",\"desc\":null,"
        + "\"catalog_name\":\"greptime\",\"schema_name\":\"public\",\"meta\":{\"schema\":"
        + "{\"column_schemas\":[" + TIMESTAMP_COLUMN + "," + VALUE_COLUMN + "],"
        + "\"timestamp_index\":0,\"version\":0},\"primary_key_indices\":[],\"value_indices\":[],"
        + "\"engine\":\"metric\",\"next_column_id\":2,\"region_numbers\":[],\"options\":"
        + "{\"write_buffer_size\":null,\"ttl\":null,\"skip_wal\":false,\"extra_options\":"
        + "{\"physical_metric_table\":\"\"}},\"created_on\":\"2025-03-31T13:25:05Z\","
        + "\"partition_key_indices\":[]},\"table_type\":\"Base\"}";
    return request().setCreateTableTask(createTableTask(expr, bounds).toBuilder()
        .setTableInfo(ByteString.copyFromUtf8(info))).build();
  }

  /** A logical table's task as the frontend builds it on insertion into a new metric. */
  static CreateTableTask logicalTableTask(String table, boolean ifNotExists) {
    CreateTableExpr.Builder expr = CreateTableExpr.newBuilder()
        .setCatalogName("greptime").setSchemaName("public").setTableName(table)
        .setDesc("Created on insertion").setCreateIfNotExists(ifNotExists)
        .addColumnDefs(ColumnDef.newBuilder().setName("greptime_timestamp")
            .setDataType(ColumnDataType.TIMESTAMP_MILLISECOND).setIsNullable(false)
            .setSemanticType(SemanticType.TIMESTAMP))
        .addColumnDefs(ColumnDef.newBuilder().setName("greptime_value")
            .setDataType(ColumnDataType.FLOAT64).setIsNullable(true)
            .setSemanticType(SemanticType.FIELD))
        .addColumnDefs(ColumnDef.newBuilder().setName("job").setDataType(ColumnDataType.STRING)
            .setIsNullable(true).setSemanticType(SemanticType.TAG))
        .addColumnDefs(ColumnDef.newBuilder().setName("instance")
            .setDataType(ColumnDataType.STRING).setIsNullable(true)
            .setSemanticType(SemanticType.TAG))
        .setTimeIndex("greptime_timestamp").addPrimaryKeys("job").addPrimaryKeys("instance")
        .setEngine("metric").putTableOptions("on_physical_table", "phy");
    return CreateTableTask.newBuilder().setCreateTable(expr)
        .setTableInfo(ByteString.copyFromUtf8(String.format(LOGICAL_TABLE_INFO, table))).build();
  }

  static DdlTaskRequest createLogicalTables(CreateTableTask... tasks) {
    return request().setCreateTableTasks(
        CreateTableTasks.newBuilder().addAllTasks(java.util.List.of(tasks))).build();
  }

  /** {@code ADD COLUMN} of String tags on logical tables, as the frontend's insert builds it. */
  static AlterTableTask addTags(String table, String... tags) {
    AddColumns.Builder add = AddColumns.newBuilder();
    for (String tag : tags) {
      add.addAddColumns(AddColumn.newBuilder().setColumnDef(ColumnDef.newBuilder().setName(tag)
          .setDataType(ColumnDataType.STRING).setIsNullable(true)
          .setSemanticType(SemanticType.TAG)).setAddIfNotExists(true));
    }
    return AlterTableTask.newBuilder().setAlterTable(AlterTableExpr.newBuilder()
        .setCatalogName("greptime").setSchemaName("public").setTableName(table)
        .setAddColumns(add)).build();
  }

  static DdlTaskRequest alterLogicalTables(AlterTableTask... tasks) {
    return request().setAlterTableTasks(
        AlterTableTasks.newBuilder().addAllTasks(java.util.List.of(tasks))).build();
  }

  static DdlTaskRequest dropLogicalTables(DropTableTask... tasks) {
    return request().setDropTableTasks(
        DropTableTasks.newBuilder().addAllTasks(java.util.List.of(tasks))).build();
  }

  static DropTableTask dropTableTask(String table, long tableId) {
    return DropTableTask.newBuilder().setDropTable(DropTableExpr.newBuilder()
        .setCatalogName("greptime").setSchemaName("public").setTableName(table)
        .setTableId(TableId.newBuilder().setId((int) tableId))).build();
  }

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
