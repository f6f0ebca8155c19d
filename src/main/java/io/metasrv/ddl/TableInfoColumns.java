package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.AddColumn;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.SemanticType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The columns of a RawTableInfo as GreptimeDB's metric-engine DDL rewrites them: sorted by name
 * ({@code RawTableInfo::sort_columns}), with columns added ({@code TableMeta::add_columns} then
 * sorted, for a logical table), or replaced by the physical region's columns ({@code
 * build_new_physical_table_info}, for the physical table).
 */
final class TableInfoColumns {
  /** The region answer's extension with the physical region's columns after a change. */
  static final String ALTER_PHYSICAL_EXTENSION_KEY = "ALTER_PHYSICAL";
  /** Names compare as Rust's {@code String::cmp}: by UTF-8 bytes. */
  private static final Comparator<String> BY_NAME = (a, b) -> Arrays.compareUnsigned(
      a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private TableInfoColumns() {}

  /** {@code CreateTableTask::sort_columns} for the expression: column_defs sorted by name. */
  static CreateTableExpr sortColumns(CreateTableExpr expr) {
    List<ColumnDef> sorted = new ArrayList<>(expr.getColumnDefsList());
    sorted.sort(Comparator.comparing(ColumnDef::getName, BY_NAME));
    return expr.toBuilder().clearColumnDefs().addAllColumnDefs(sorted).build();
  }

  /**
   * {@code RawTableInfo::sort_columns}: column schemas sorted by name, then primary_key_indices
   * (the former primary keys), timestamp_index (the time index column) and value_indices (every
   * other column) recomputed.
   */
  static void sortColumns(ObjectNode tableInfo) {
    ObjectNode meta = (ObjectNode) tableInfo.path("meta");
    ObjectNode schema = (ObjectNode) meta.path("schema");
    List<JsonNode> columns = new ArrayList<>();
    schema.path("column_schemas").forEach(columns::add);
    Set<String> primaryKeys = new HashSet<>();
    meta.path("primary_key_indices").forEach(index -> primaryKeys.add(
        columns.get(index.asInt()).path("name").asText()));
    columns.sort(Comparator.comparing(column -> column.path("name").asText(), BY_NAME));
    ArrayNode sorted = schema.putArray("column_schemas");
    ArrayNode primaryKeyIndices = SerdeJson.MAPPER.createArrayNode();
    ArrayNode valueIndices = SerdeJson.MAPPER.createArrayNode();
    Integer timestampIndex = null;
    for (int index = 0; index < columns.size(); index++) {
      JsonNode column = columns.get(index);
      sorted.add(column);
      if (primaryKeys.contains(column.path("name").asText())) {
        primaryKeyIndices.add(index);
      } else if (column.path("is_time_index").asBoolean(false)) {
        timestampIndex = index;
      } else {
        valueIndices.add(index);
      }
    }
    if (timestampIndex == null) {
      schema.putNull("timestamp_index");
    } else {
      schema.put("timestamp_index", timestampIndex);
    }
    meta.set("primary_key_indices", primaryKeyIndices);
    meta.set("value_indices", valueIndices);
  }

  /**
   * A logical table's info after {@code ALTER TABLE ... ADD COLUMN} as GreptimeDB's
   * AlterLogicalTables builds it: the new columns (those not there yet) appended, tags becoming
   * primary keys, the schema version and {@code ident.version} + 1, then sorted by name.
   * {@code next_column_id} is left as it is (the metric engine assigns the column ids).
   *
   * @throws DdlException an existing column added without {@code add_if_not_exists}, or with
   *     another type; a column added twice; a NOT NULL column without a default
   */
  static ObjectNode withAddedColumns(JsonNode current, List<AddColumn> added) {
    ObjectNode tableInfo = (ObjectNode) current.deepCopy();
    String table = tableInfo.path("name").asText();
    ObjectNode meta = (ObjectNode) tableInfo.path("meta");
    ObjectNode schema = (ObjectNode) meta.path("schema");
    ArrayNode columns = (ArrayNode) schema.path("column_schemas");
    ArrayNode primaryKeyIndices = (ArrayNode) meta.path("primary_key_indices");
    Set<String> names = new HashSet<>();
    for (AddColumn add : added) {
      ColumnDef def = add.getColumnDef();
      ObjectNode column = ColumnSchemas.of(def);
      JsonNode existing = columnNamed(columns, def.getName());
      if (existing != null) {
        if (!add.getAddIfNotExists()) {
          throw new DdlException(DdlException.TABLE_COLUMN_EXISTS, "Column " + def.getName()
              + " already exists in table " + table);
        }
        if (!existing.path("data_type").equals(column.path("data_type"))) {
          throw DdlException.invalidArguments("Invalid alter table(" + table + ") request: "
              + "column " + def.getName() + " already exists with different type "
              + existing.path("data_type"));
        }
        continue;
      }
      if (!names.add(def.getName())) {
        throw DdlException.invalidArguments("Invalid alter table(" + table + ") request: add "
            + "column " + def.getName() + " more than once");
      }
      if (!def.getIsNullable() && def.getDefaultConstraint().isEmpty()) {
        throw DdlException.invalidArguments("Invalid alter table(" + table + ") request: no "
            + "default value for column " + def.getName());
      }
      if (def.getSemanticType() == SemanticType.TAG) {
        primaryKeyIndices.add(columns.size());
      }
      columns.add(column);
    }
    schema.put("version", schema.path("version").asLong() + 1);
    ObjectNode ident = (ObjectNode) tableInfo.path("ident");
    ident.put("version", ident.path("version").asLong() + 1);
    sortColumns(tableInfo);
    return tableInfo;
  }

  /**
   * The physical table's info with the columns its regions reported ({@code ALTER_PHYSICAL}, a
   * list of ColumnMetadata): the column schemas replaced in the reported order, tags not there
   * before appended to primary_key_indices, value_indices the fields, timestamp_index the
   * timestamp, as {@code build_new_physical_table_info}.
   */
  static ObjectNode withPhysicalColumns(JsonNode current, JsonNode columnMetadatas) {
    ObjectNode tableInfo = (ObjectNode) current.deepCopy();
    ObjectNode meta = (ObjectNode) tableInfo.path("meta");
    ObjectNode schema = (ObjectNode) meta.path("schema");
    Set<String> existing = new HashSet<>();
    schema.path("column_schemas").forEach(column -> existing.add(column.path("name").asText()));
    ArrayNode primaryKeyIndices = (ArrayNode) meta.path("primary_key_indices");
    ArrayNode valueIndices = meta.putArray("value_indices");
    ArrayNode columns = schema.putArray("column_schemas");
    int index = 0;
    Integer timestampIndex = schema.path("timestamp_index").isIntegralNumber()
        ? schema.path("timestamp_index").asInt() : null;
    for (JsonNode column : columnMetadatas) {
      ObjectNode columnSchema = (ObjectNode) column.path("column_schema").deepCopy();
      switch (semanticType(column.path("semantic_type"))) {
        case TAG -> {
          if (!existing.contains(columnSchema.path("name").asText())) {
            primaryKeyIndices.add(index);
          }
        }
        case FIELD -> valueIndices.add(index);
        case TIMESTAMP -> timestampIndex = index;
        default -> throw new DdlException(DdlException.UNEXPECTED,
            "Unknown semantic type in physical columns: " + column.path("semantic_type"));
      }
      columns.add(columnSchema);
      index++;
    }
    if (timestampIndex != null && timestampIndex < columns.size()) {
      schema.put("timestamp_index", timestampIndex);
      ((ObjectNode) columns.get(timestampIndex)).put("is_time_index", true);
    }
    return tableInfo;
  }

  /**
   * The physical region's columns the metric engine reported in its answers' {@code
   * ALTER_PHYSICAL} extension (a JSON list of ColumnMetadata), or null when it reported none.
   *
   * @throws DdlException when the datanodes reported different columns (GreptimeDB's {@code
   *     MetadataCorruption})
   */
  static JsonNode reportedPhysicalColumns(List<RegionResponse> responses) {
    if (responses.isEmpty()) {
      return null;
    }
    ByteString first = responses.get(0) == null ? null
        : responses.get(0).getExtensionsMap().get(ALTER_PHYSICAL_EXTENSION_KEY);
    for (RegionResponse response : responses) {
      ByteString reported = response == null ? null
          : response.getExtensionsMap().get(ALTER_PHYSICAL_EXTENSION_KEY);
      if (!java.util.Objects.equals(first, reported)) {
        throw new DdlException(DdlException.UNEXPECTED, "Metadata corruption: The physical "
            + "schemas from datanodes are not the same.");
      }
    }
    if (first == null) {
      return null;
    }
    JsonNode columns;
    try {
      columns = SerdeJson.readTree(first.toByteArray(), "ALTER_PHYSICAL column metadata");
    } catch (RuntimeException e) {
      throw new DdlException(DdlException.UNEXPECTED, "Failed to decode the physical columns "
          + "a datanode reported: " + e.getMessage(), e);
    }
    if (!columns.isArray()) {
      throw new DdlException(DdlException.UNEXPECTED, "The physical columns a datanode "
          + "reported are not a list: " + columns);
    }
    return columns;
  }

  /** A ColumnMetadata's {@code semantic_type}: serde's variant name, or the enum number. */
  private static SemanticType semanticType(JsonNode node) {
    if (node.isIntegralNumber()) {
      SemanticType type = SemanticType.forNumber(node.asInt());
      return type == null ? SemanticType.UNRECOGNIZED : type;
    }
    return switch (node.asText().toLowerCase(Locale.ROOT)) {
      case "tag" -> SemanticType.TAG;
      case "field" -> SemanticType.FIELD;
      case "timestamp" -> SemanticType.TIMESTAMP;
      default -> SemanticType.UNRECOGNIZED;
    };
  }

  private static JsonNode columnNamed(ArrayNode columns, String name) {
    for (JsonNode column : columns) {
      if (column.path("name").asText().equals(name)) {
        return column;
      }
    }
    return null;
  }
}
