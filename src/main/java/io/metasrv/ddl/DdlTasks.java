package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.protocol.AlterDatabaseTask;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.v1.AlterDatabaseExpr;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateTableExpr;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks a DDL task before anything is submitted or written, as GreptimeDB's metasrv and, where
 * the metasrv trusts its frontend, the frontend itself checks it: a refused task gets a {@link
 * DdlException} with InvalidArguments (1004) naming the reason, or Unsupported (1001).
 */
final class DdlTasks {
  /** The engines GreptimeDB creates tables with. */
  static final List<String> ENGINES = List.of("mito", "metric", "file");

  private DdlTasks() {}

  /** The task's kind in snake case (create_table_task, ...), for metrics and messages. */
  static String kind(DdlTaskRequest request) {
    return request.getTaskCase().name().toLowerCase(Locale.ROOT);
  }

  static void checkRequest(DdlTaskRequest request) {
    if (!request.hasQueryContext()) {
      throw missing("query_context");
    }
    if (request.getTaskCase() == DdlTaskRequest.TaskCase.TASK_NOT_SET) {
      throw missing("task");
    }
  }

  static void checkCreateTable(CreateTableTask task) {
    checkColumnsAndInfo(task);
    if (task.getPartitionsCount() == 0) {
      throw DdlException.invalidArguments("The number of partitions must be greater than 0");
    }
  }

  /**
   * The metric engine's logical tables, GreptimeDB's {@code check_and_get_physical_table_id}:
   * at least one task, each a valid table of engine {@code metric} (no partitions: it lives in
   * the physical table's regions) with table option {@code on_physical_table}, all naming the
   * same physical table.
   *
   * @return the physical table's name
   */
  static TableNameKey checkCreateLogicalTables(List<CreateTableTask> tasks) {
    if (tasks.isEmpty()) {
      throw DdlException.invalidArguments("The tasks of create logical tables cannot be empty");
    }
    TableNameKey physical = null;
    for (CreateTableTask task : tasks) {
      checkColumnsAndInfo(task);
      CreateTableExpr expr = task.getCreateTable();
      if (!expr.getEngine().equals("metric")) {
        throw DdlException.unsupported("create table with engine " + expr.getEngine()
            + " is not supported");
      }
      String physicalName = expr.getTableOptionsMap().get(
          CreateRegionRequests.ON_PHYSICAL_TABLE_KEY);
      if (physicalName == null) {
        throw DdlException.unsupported("create table without table options "
            + CreateRegionRequests.ON_PHYSICAL_TABLE_KEY + " is not supported");
      }
      TableNameKey name = new TableNameKey(expr.getCatalogName(), expr.getSchemaName(),
          physicalName);
      if (physical != null && !physical.equals(name)) {
        throw DdlException.unsupported("create table with different physical table name "
            + physical + " and " + name + " is not supported");
      }
      physical = name;
    }
    return physical;
  }

  /**
   * ADD COLUMN on logical tables: at least one task, each naming a valid table and adding
   * columns with definitions (the procedure checks the rest, as GreptimeDB's does).
   */
  static void checkAlterLogicalTables(List<AlterTableTask> tasks) {
    if (tasks.isEmpty()) {
      throw DdlException.invalidArguments("The tasks of alter logical tables cannot be empty");
    }
    for (AlterTableTask task : tasks) {
      AlterTableExpr expr = task.getAlterTable();
      checkNames(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName());
      if (expr.getKindCase() == AlterTableExpr.KindCase.KIND_NOT_SET) {
        throw missing("kind");
      }
      for (var add : expr.getAddColumns().getAddColumnsList()) {
        if (!add.hasColumnDef()) {
          throw missing("column_def");
        }
      }
    }
  }

  private static void checkColumnsAndInfo(CreateTableTask task) {
    if (!task.hasCreateTable()) {
      throw missing("create_table");
    }
    CreateTableExpr expr = task.getCreateTable();
    checkNames(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName());
    if (!ENGINES.contains(expr.getEngine())) {
      throw DdlException.invalidArguments("Unsupported table engine '" + expr.getEngine()
          + "' of table " + expr.getTableName() + ", expected one of " + ENGINES);
    }
    Set<String> columns = new HashSet<>();
    for (ColumnDef column : expr.getColumnDefsList()) {
      if (!columns.add(column.getName())) {
        throw DdlException.invalidArguments("Duplicate column name " + column.getName()
            + " in table " + expr.getTableName());
      }
    }
    if (!columns.contains(expr.getTimeIndex())) {
      throw DdlException.invalidArguments("Time index column '" + expr.getTimeIndex()
          + "' of table " + expr.getTableName() + " is not one of its columns");
    }
    for (String primaryKey : expr.getPrimaryKeysList()) {
      if (!columns.contains(primaryKey)) {
        throw DdlException.invalidArguments("Primary key column '" + primaryKey + "' of table "
            + expr.getTableName() + " is not one of its columns");
      }
    }
    checkTableInfo(task);
  }

  /** The task's {@code table_info}: a RawTableInfo JSON object, with ident and meta. */
  private static void checkTableInfo(CreateTableTask task) {
    JsonNode info;
    try {
      info = SerdeJson.readTree(task.getTableInfo().toByteArray(), "RawTableInfo");
    } catch (InvalidMetadataException e) {
      throw DdlException.invalidArguments("Invalid table_info: " + e.getMessage());
    }
    if (!info.isObject() || !info.path("ident").isObject() || !info.path("meta").isObject()) {
      throw DdlException.invalidArguments(
          "Invalid table_info: expected a RawTableInfo object with 'ident' and 'meta'");
    }
  }

  /** A task naming an existing table (drop, truncate): names valid, table id given. */
  static void checkTable(String catalog, String schema, String table, boolean hasTableId) {
    checkNames(catalog, schema, table);
    if (!hasTableId) {
      throw DdlException.invalidArguments("Invalid protobuf message: expected table_id");
    }
  }

  /**
   * An ALTER TABLE: names valid and its kind set; a RENAME TO names a valid table other than the
   * table itself. The alteration itself is checked against the table in the procedure's Prepare.
   */
  static void checkAlterTable(AlterTableExpr expr) {
    checkNames(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName());
    if (expr.getKindCase() == AlterTableExpr.KindCase.KIND_NOT_SET) {
      throw missing("kind");
    }
    if (expr.getKindCase() == AlterTableExpr.KindCase.RENAME_TABLE) {
      String newName = expr.getRenameTable().getNewTableName();
      checkName("table", newName);
      if (newName.equals(expr.getTableName())) {
        throw DdlException.invalidArguments("Table " + expr.getTableName()
            + " cannot be renamed to its own name");
      }
    }
  }

  /** An ALTER DATABASE task: the expression and its kind set, names valid. */
  static void checkAlterDatabase(AlterDatabaseTask task) {
    if (!task.hasTask()) {
      throw DdlException.invalidArguments("Invalid protobuf message: expected alter database");
    }
    AlterDatabaseExpr expr = task.getTask();
    checkNames(expr.getCatalogName(), expr.getSchemaName());
    if (expr.getKindCase() == AlterDatabaseExpr.KindCase.KIND_NOT_SET) {
      throw missing("kind");
    }
  }

  static void checkNames(String catalog, String schema) {
    checkName("catalog", catalog);
    checkName("schema", schema);
  }

  private static void checkNames(String catalog, String schema, String table) {
    checkNames(catalog, schema);
    checkName("table", table);
  }

  private static void checkName(String what, String name) {
    if (!TableNameKey.isValidName(name)) {
      throw DdlException.invalidArguments("Invalid " + what + " name '" + name
          + "': it must match [a-zA-Z_:-][a-zA-Z0-9_:\\-\\.@#]*");
    }
  }

  private static DdlException missing(String parameter) {
    return DdlException.invalidArguments("Missing required parameter, param: " + parameter);
  }
}
