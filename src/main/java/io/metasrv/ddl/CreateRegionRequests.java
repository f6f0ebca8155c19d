package io.metasrv.ddl;

import io.metasrv.metadata.RegionId;
import io.metasrv.protocol.region.CreateRequest;
import io.metasrv.protocol.region.RegionColumnDef;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionRequestHeader;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.SemanticType;
import java.util.List;

/**
 * The datanode requests of a new table's regions, GreptimeDB's {@code build_template} and {@code
 * build_one}: column ids are the positions in {@code column_defs}, semantic types recomputed from
 * the time index and the primary keys, comments dropped, {@code primary_key} the ids of the
 * primary keys, {@code path} {@code "{catalog}/{schema}"}, options the table's plus {@code
 * "wal_options"} (a physical table's) or {@code "on_physical_table"} (a logical table's).
 */
final class CreateRegionRequests {
  static final String WAL_OPTIONS_KEY = "wal_options";
  /** The metric engine's table option naming a logical table's physical table or region. */
  static final String ON_PHYSICAL_TABLE_KEY = "on_physical_table";

  private CreateRegionRequests() {}

  /** Every region request carries a header, even an empty one: datanodes refuse one without. */
  static RegionRequest.Builder withHeader() {
    return RegionRequest.newBuilder().setHeader(RegionRequestHeader.getDefaultInstance());
  }

  static RegionRequest create(CreateTableExpr expr, long tableId, long regionNumber,
      String walOptions) {
    return withHeader().setCreate(template(expr, tableId, regionNumber)
        .putOptions(WAL_OPTIONS_KEY, walOptions)).build();
  }

  /**
   * A metric-engine logical table's region, placed on the physical region of the same number:
   * no WAL options (the physical region has them), {@code on_physical_table} the physical
   * region id in decimal, as GreptimeDB's {@code CreateRequestBuilder} with a physical table id.
   */
  static CreateRequest logical(CreateTableExpr expr, long logicalTableId, long regionNumber,
      long physicalTableId) {
    return template(expr, logicalTableId, regionNumber)
        .putOptions(ON_PHYSICAL_TABLE_KEY,
            Long.toUnsignedString(RegionId.of(physicalTableId, regionNumber)))
        .build();
  }

  private static CreateRequest.Builder template(CreateTableExpr expr, long tableId,
      long regionNumber) {
    CreateRequest.Builder create = CreateRequest.newBuilder()
        .setRegionId(RegionId.of(tableId, regionNumber))
        .setEngine(expr.getEngine())
        .setPath(expr.getCatalogName() + "/" + expr.getSchemaName())
        .putAllOptions(expr.getTableOptionsMap());
    List<ColumnDef> columns = expr.getColumnDefsList();
    for (int id = 0; id < columns.size(); id++) {
      ColumnDef column = columns.get(id);
      create.addColumnDefs(RegionColumnDef.newBuilder()
          .setColumnDef(column.toBuilder()
              .setSemanticType(semanticType(expr, column.getName()))
              .setComment(""))
          .setColumnId(id));
    }
    for (String primaryKey : expr.getPrimaryKeysList()) {
      create.addPrimaryKey(columnId(columns, primaryKey));
    }
    return create;
  }

  private static SemanticType semanticType(CreateTableExpr expr, String column) {
    if (column.equals(expr.getTimeIndex())) {
      return SemanticType.TIMESTAMP;
    }
    return expr.getPrimaryKeysList().contains(column) ? SemanticType.TAG : SemanticType.FIELD;
  }

  private static int columnId(List<ColumnDef> columns, String name) {
    for (int id = 0; id < columns.size(); id++) {
      if (columns.get(id).getName().equals(name)) {
        return id;
      }
    }
    throw DdlException.invalidArguments("Primary key column " + name + " is not a column");
  }
}
