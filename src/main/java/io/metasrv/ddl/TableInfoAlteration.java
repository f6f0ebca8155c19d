package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.config.HumanDuration;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.RegionColumnDef;
import io.metasrv.protocol.v1.AddColumn;
import io.metasrv.protocol.v1.AddColumnLocation;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.Analyzer;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.DropColumn;
import io.metasrv.protocol.v1.ModifyColumnType;
import io.metasrv.protocol.v1.Option;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.protocol.v1.SetFulltext;
import io.metasrv.protocol.v1.SetIndex;
import io.metasrv.protocol.v1.SetSkipping;
import io.metasrv.protocol.v1.SkippingIndexType;
import io.metasrv.protocol.v1.UnsetIndex;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What an ALTER TABLE (other than RENAME TO) does to a table's {@code RawTableInfo}, as
 * GreptimeDB's {@code AlterTableProcedure::build_new_table_info} and {@code
 * TableMeta::builder_with_alter_kind} ({@code table/src/metadata.rs}) do it, and the alter kind its
 * regions get ({@code create_proto_alter_kind}).
 *
 * <p>Every kind bumps {@code ident.version}, rebuilds {@code value_indices} (every column not in
 * the primary key) and {@code timestamp_index}; the kinds that change columns also bump {@code
 * meta.schema.version}; AddColumns adds the number of columns asked for to {@code next_column_id},
 * existing ones included. A refused alteration throws a {@link DdlException} with GreptimeDB's
 * status code: TableColumnNotFound (4002), TableColumnExists (4003) or InvalidArguments (1004).
 */
final class TableInfoAlteration {
  private static final String COMPACTION_TYPE = "compaction.type";
  private static final Set<String> TWCS_OPTIONS = Set.of(
      "compaction.twcs.max_active_window_runs", "compaction.twcs.max_active_window_files",
      "compaction.twcs.max_inactive_window_runs", "compaction.twcs.max_inactive_window_files",
      "compaction.twcs.max_output_file_size", "compaction.twcs.time_window");

  private final ObjectNode info;
  private final ObjectNode meta;
  private final String table;
  private List<ObjectNode> columns;
  private List<Integer> primaryKeys;

  private TableInfoAlteration(JsonNode current) {
    this.info = current.deepCopy();
    this.meta = (ObjectNode) info.path("meta");
    this.table = info.path("name").asText();
    this.columns = new ArrayList<>();
    meta.path("schema").path("column_schemas")
        .forEach(column -> columns.add((ObjectNode) column));
    this.primaryKeys = new ArrayList<>();
    meta.path("primary_key_indices").forEach(index -> primaryKeys.add(index.asInt()));
  }

  /**
   * The table info after {@code expr}, built from {@code current} (a RawTableInfo object, which is
   * not changed).
   *
   * @throws DdlException when the alteration is refused
   */
  static ObjectNode apply(JsonNode current, AlterTableExpr expr) {
    if (!current.path("meta").isObject()
        || !current.path("meta").path("schema").path("column_schemas").isArray()) {
      throw new DdlException(DdlException.UNEXPECTED,
          "Failed to convert RawTableInfo into TableInfo: no meta.schema.column_schemas");
    }
    TableInfoAlteration alteration = new TableInfoAlteration(current);
    boolean schemaChanged = true;
    switch (expr.getKindCase()) {
      case ADD_COLUMNS -> alteration.addColumns(expr.getAddColumns().getAddColumnsList());
      case DROP_COLUMNS -> alteration.dropColumns(expr.getDropColumns().getDropColumnsList());
      case MODIFY_COLUMN_TYPES -> alteration.modifyColumnTypes(
          expr.getModifyColumnTypes().getModifyColumnTypesList());
      case SET_TABLE_OPTIONS -> {
        alteration.setTableOptions(expr.getSetTableOptions().getTableOptionsList());
        schemaChanged = false;
      }
      case UNSET_TABLE_OPTIONS -> {
        alteration.unsetTableOptions(expr.getUnsetTableOptions().getKeysList());
        schemaChanged = false;
      }
      case SET_INDEX -> alteration.setIndex(expr.getSetIndex());
      case UNSET_INDEX -> alteration.unsetIndex(expr.getUnsetIndex());
      default -> throw new IllegalArgumentException("not a column or option alteration: "
          + expr.getKindCase());
    }
    return alteration.build(schemaChanged);
  }

  /**
   * The alter kind every region of the table gets: for AddColumns the columns the table lacks,
   * each with the next column id from {@code meta.next_column_id} on, their location kept; the
   * other kinds as they came.
   */
  static AlterRequest.Builder regionAlter(JsonNode current, AlterTableExpr expr) {
    AlterRequest.Builder request = AlterRequest.newBuilder();
    switch (expr.getKindCase()) {
      case ADD_COLUMNS -> {
        Set<String> existing = new HashSet<>();
        current.path("meta").path("schema").path("column_schemas")
            .forEach(column -> existing.add(column.path("name").asText()));
        long nextColumnId = current.path("meta").path("next_column_id").asLong();
        var adds = io.metasrv.protocol.region.AddColumns.newBuilder();
        for (AddColumn add : expr.getAddColumns().getAddColumnsList()) {
          if (existing.contains(add.getColumnDef().getName())) {
            continue;
          }
          var column = io.metasrv.protocol.region.AddColumn.newBuilder()
              .setColumnDef(RegionColumnDef.newBuilder().setColumnDef(add.getColumnDef())
                  .setColumnId((int) nextColumnId++));
          if (add.hasLocation()) {
            column.setLocation(add.getLocation());
          }
          adds.addAddColumns(column);
        }
        request.setAddColumns(adds);
      }
      case DROP_COLUMNS -> {
        var drops = io.metasrv.protocol.region.DropColumns.newBuilder();
        expr.getDropColumns().getDropColumnsList().forEach(drop -> drops.addDropColumns(
            io.metasrv.protocol.region.DropColumn.newBuilder().setName(drop.getName())));
        request.setDropColumns(drops);
      }
      case MODIFY_COLUMN_TYPES -> request.setModifyColumnTypes(expr.getModifyColumnTypes());
      case SET_TABLE_OPTIONS -> request.setSetTableOptions(expr.getSetTableOptions());
      case UNSET_TABLE_OPTIONS -> request.setUnsetTableOptions(expr.getUnsetTableOptions());
      case SET_INDEX -> request.setSetIndex(expr.getSetIndex());
      case UNSET_INDEX -> request.setUnsetIndex(expr.getUnsetIndex());
      default -> throw new IllegalArgumentException("no region alteration for "
          + expr.getKindCase());
    }
    return request;
  }

  /** {@code TableMeta::add_columns} and {@code split_requests_by_column_location}. */
  private void addColumns(List<AddColumn> adds) {
    record NewColumn(ObjectNode schema, boolean key, AddColumnLocation location) {}
    Set<String> names = new HashSet<>();
    List<NewColumn> added = new ArrayList<>();
    for (AddColumn add : adds) {
      if (!add.hasColumnDef()) {
        throw DdlException.invalidArguments(
            "Missing required field in protobuf, field: column_def");
      }
      ColumnDef def = add.getColumnDef();
      ObjectNode schema = ColumnSchemas.of(def);
      int index = indexOf(def.getName());
      if (index >= 0) {
        if (!add.getAddIfNotExists()) {
          throw DdlException.columnExists(def.getName(), table);
        }
        JsonNode existingType = columns.get(index).path("data_type");
        if (!existingType.equals(schema.path("data_type"))) {
          throw DdlException.invalidAlter(table, "column " + def.getName()
              + " already exists with different type " + existingType);
        }
        continue;
      }
      if (!names.add(def.getName())) {
        throw DdlException.invalidAlter(table, "add column " + def.getName() + " more than once");
      }
      if (!def.getIsNullable() && def.getDefaultConstraint().isEmpty()) {
        throw DdlException.invalidAlter(table, "no default value for column " + def.getName());
      }
      if (add.hasLocation()) {
        AddColumnLocation location = add.getLocation();
        if (location.getLocationType() == AddColumnLocation.LocationType.UNRECOGNIZED) {
          throw DdlException.invalidArguments("Unknown location type: "
              + location.getLocationTypeValue());
        }
        if (location.getLocationType() == AddColumnLocation.LocationType.AFTER
            && indexOf(location.getAfterColumnName()) < 0) {
          throw DdlException.columnNotFound(location.getAfterColumnName(), table);
        }
      }
      added.add(new NewColumn(schema, def.getSemanticType() == SemanticType.TAG,
          add.hasLocation() ? add.getLocation() : null));
    }

    Set<Integer> originalKeys = new HashSet<>(primaryKeys);
    List<ObjectNode> result = new ArrayList<>();
    List<Integer> keys = new ArrayList<>();
    // FIRST columns in reverse order of the requests, then the old columns each followed by its
    // AFTER columns (also in reverse), then the columns without a location
    List<NewColumn> reversed = new ArrayList<>(added);
    Collections.reverse(reversed);
    for (NewColumn column : reversed) {
      if (column.location() != null
          && column.location().getLocationType() == AddColumnLocation.LocationType.FIRST) {
        addColumn(result, keys, column.schema(), column.key());
      }
    }
    for (int index = 0; index < columns.size(); index++) {
      ObjectNode old = columns.get(index);
      addColumn(result, keys, old, originalKeys.contains(index));
      String name = old.path("name").asText();
      for (NewColumn column : reversed) {
        if (column.location() != null
            && column.location().getLocationType() == AddColumnLocation.LocationType.AFTER
            && column.location().getAfterColumnName().equals(name)) {
          addColumn(result, keys, column.schema(), column.key());
        }
      }
    }
    for (NewColumn column : added) {
      if (column.location() == null) {
        addColumn(result, keys, column.schema(), column.key());
      }
    }
    columns = result;
    primaryKeys = keys;
    meta.put("next_column_id", meta.path("next_column_id").asLong() + adds.size());
  }

  private static void addColumn(List<ObjectNode> columns, List<Integer> keys, ObjectNode column,
      boolean key) {
    if (key) {
      keys.add(columns.size());
    }
    columns.add(column);
  }

  /** {@code TableMeta::remove_columns}: neither a primary key nor the time index. */
  private void dropColumns(List<DropColumn> drops) {
    Set<String> names = new LinkedHashSet<>();
    drops.forEach(drop -> names.add(drop.getName()));
    for (String name : names) {
      int index = indexOf(name);
      if (index < 0) {
        throw DdlException.columnNotFound(name, table);
      }
      if (primaryKeys.contains(index) || isTimeIndex(columns.get(index))) {
        throw DdlException.invalidArguments("Not allowed to remove index column " + name
            + " from table " + table);
      }
    }
    List<String> keyNames = primaryKeys.stream()
        .map(index -> columns.get(index).path("name").asText()).toList();
    columns = columns.stream()
        .filter(column -> !names.contains(column.path("name").asText())).toList();
    primaryKeys = new ArrayList<>(keyNames.stream().map(this::indexOf).toList());
  }

  /** {@code TableMeta::modify_column_types}: a nullable field column, to a type it casts to. */
  private void modifyColumnTypes(List<ModifyColumnType> modifications) {
    Map<String, JsonNode> targets = new HashMap<>();
    for (ModifyColumnType modify : modifications) {
      String name = modify.getColumnName();
      int index = indexOf(name);
      if (index < 0) {
        throw DdlException.columnNotFound(name, table);
      }
      ObjectNode column = columns.get(index);
      if (primaryKeys.contains(index)) {
        throw DdlException.invalidAlter(table,
            "Not allowed to change primary key index column '" + name + "'");
      }
      if (isTimeIndex(column)) {
        throw DdlException.invalidAlter(table,
            "Not allowed to change timestamp index column '" + name + "' datatype");
      }
      JsonNode target = ColumnSchemas.dataType(modify.getTargetType(),
          modify.getTargetTypeExtension());
      if (targets.put(name, target) != null) {
        throw DdlException.invalidAlter(table,
            "change column datatype " + name + " more than once");
      }
      if (!ColumnSchemas.castable(column.path("data_type"), target)) {
        throw DdlException.invalidAlter(table, "column '" + name
            + "' cannot be cast automatically to type '" + ColumnSchemas.typeName(target) + "'");
      }
      if (!column.path("is_nullable").asBoolean()) {
        throw DdlException.invalidAlter(table,
            "column '" + name + "' must be nullable to ensure safe conversion.");
      }
    }
    targets.forEach((name, target) -> columns.get(indexOf(name)).set("data_type", target));
  }

  /**
   * {@code TableMeta::set_table_options}: {@code ttl} (a duration, {@code forever} or {@code
   * instant}) and the TWCS compaction options, which also set {@code compaction.type = twcs}; an
   * empty TWCS value removes the option.
   */
  private void setTableOptions(List<Option> options) {
    ObjectNode tableOptions = tableOptions();
    for (Option option : options) {
      String key = option.getKey();
      String value = option.getValue();
      if (key.equals("ttl")) {
        String ttl = timeToLive(value);
        if (ttl == null) {
          throw DdlException.invalidArguments("Invalid set table option request, key: " + key
              + ", value: " + value);
        }
        tableOptions.put("ttl", ttl);
      } else if (TWCS_OPTIONS.contains(key)) {
        setTwcsOption(tableOptions, key, value);
      } else {
        throw DdlException.invalidArguments("Invalid set table option request, key: " + key
            + ", value: " + value);
      }
    }
  }

  /** {@code TableMeta::unset_table_options}: keys case-insensitive, {@code ttl} or TWCS. */
  private void unsetTableOptions(List<String> keys) {
    ObjectNode tableOptions = tableOptions();
    for (String key : keys) {
      String lower = key.toLowerCase(Locale.ROOT);
      if (lower.equals("ttl")) {
        tableOptions.putNull("ttl");
      } else if (TWCS_OPTIONS.contains(lower)) {
        setTwcsOption(tableOptions, lower, "");
      } else {
        throw DdlException.invalidArguments("Invalid unset table option request, key: " + key);
      }
    }
  }

  private static void setTwcsOption(ObjectNode tableOptions, String key, String value) {
    ObjectNode extra = tableOptions.path("extra_options").isObject()
        ? (ObjectNode) tableOptions.get("extra_options") : tableOptions.putObject("extra_options");
    if (value.isEmpty()) {
      extra.remove(key);
    } else {
      extra.put(key, value);
      extra.put(COMPACTION_TYPE, "twcs");
    }
  }

  /**
   * A table TTL as GreptimeDB's {@code TimeToLive::from_humantime_or_str} reads it: {@code
   * instant}, {@code forever} (also empty or a zero duration), else a duration, kept as written.
   * Null when it is none of these.
   */
  private static String timeToLive(String value) {
    String lower = value.toLowerCase(Locale.ROOT);
    if (lower.equals("instant") || lower.equals("forever")) {
      return lower;
    }
    if (value.isEmpty()) {
      return "forever";
    }
    try {
      return HumanDuration.parse(value).isZero() ? "forever" : value;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private ObjectNode tableOptions() {
    return meta.path("options").isObject() ? (ObjectNode) meta.get("options")
        : meta.putObject("options");
  }

  /** SET INDEX: fulltext, inverted or skipping options into the column's metadata. */
  private void setIndex(SetIndex index) {
    switch (index.getOptionsCase()) {
      case FULLTEXT -> {
        SetFulltext fulltext = index.getFulltext();
        if (fulltext.getAnalyzer() == Analyzer.UNRECOGNIZED) {
          throw DdlException.invalidArguments("Invalid set fulltext option request: unknown "
              + "analyzer " + fulltext.getAnalyzerValue());
        }
        changeFulltext(fulltext.getColumnName(), fulltext);
      }
      case INVERTED -> metadataOf(index.getInverted().getColumnName())
          .forEach(metadata -> metadata.put(ColumnSchemas.INVERTED_INDEX_KEY, "true"));
      case SKIPPING -> {
        SetSkipping skipping = index.getSkipping();
        if (skipping.getSkippingIndexType()
            == SkippingIndexType.UNRECOGNIZED) {
          throw DdlException.invalidArguments("Invalid set skipping index option request: "
              + "unknown index type " + skipping.getSkippingIndexTypeValue());
        }
        ObjectNode options = info.objectNode();
        options.put("granularity", Integer.toUnsignedLong((int) skipping.getGranularity()));
        options.put("index-type", "BloomFilter");
        metadataOf(skipping.getColumnName()).forEach(
            metadata -> metadata.put(ColumnSchemas.SKIPPING_INDEX_KEY, options.toString()));
      }
      case OPTIONS_NOT_SET -> throw DdlException.invalidArguments("Missing alter index options");
    }
  }

  /** UNSET INDEX: disables fulltext, removes the inverted or skipping index of the column. */
  private void unsetIndex(UnsetIndex index) {
    switch (index.getOptionsCase()) {
      case FULLTEXT -> changeFulltext(index.getFulltext().getColumnName(), null);
      case INVERTED -> metadataOf(index.getInverted().getColumnName())
          .forEach(metadata -> metadata.remove(ColumnSchemas.INVERTED_INDEX_KEY));
      case SKIPPING -> metadataOf(index.getSkipping().getColumnName())
          .forEach(metadata -> metadata.remove(ColumnSchemas.SKIPPING_INDEX_KEY));
      case OPTIONS_NOT_SET -> throw DdlException.invalidArguments("Missing alter index options");
    }
  }

  /**
   * {@code change_column_fulltext_options}: a string column; enabling needs it not enabled yet
   * and, when options were set before, the same analyzer and case sensitivity; disabling (a null
   * {@code set}) needs it enabled.
   */
  private void changeFulltext(String name, SetFulltext set) {
    int index = indexOf(name);
    if (index < 0) {
      throw DdlException.columnNotFound(name, table);
    }
    ObjectNode column = columns.get(index);
    if (!ColumnSchemas.typeName(column.path("data_type")).equals("String")) {
      throw invalidColumnOption(name, "FULLTEXT index only supports string type");
    }
    ObjectNode metadata = metadata(column);
    JsonNode current = null;
    if (metadata.hasNonNull(ColumnSchemas.FULLTEXT_KEY)) {
      try {
        current = SerdeJson.readTree(metadata.get(ColumnSchemas.FULLTEXT_KEY).asText()
            .getBytes(StandardCharsets.UTF_8), "FulltextOptions");
      } catch (InvalidMetadataException e) {
        throw new DdlException(DdlException.INTERNAL, "Failed to set fulltext options for column "
            + name + ": " + e.getMessage());
      }
    }
    ObjectNode options = info.objectNode();
    if (set != null) {
      String analyzer = set.getAnalyzer() == Analyzer.CHINESE
          ? "Chinese" : "English";
      if (current != null) {
        if (current.path("enable").asBoolean()) {
          throw invalidColumnOption(name, "FULLTEXT index already enabled");
        }
        String previousAnalyzer = current.path("analyzer").asText("English");
        boolean previousCase = current.path("case-sensitive").asBoolean(false);
        if (!previousAnalyzer.equals(analyzer) || previousCase != set.getCaseSensitive()) {
          throw invalidColumnOption(name, "Cannot change analyzer or case_sensitive if FULLTEXT "
              + "index is set before. Previous analyzer: " + previousAnalyzer
              + ", previous case_sensitive: " + previousCase);
        }
      }
      options.put("enable", set.getEnable());
      options.put("analyzer", analyzer);
      options.put("case-sensitive", set.getCaseSensitive());
    } else {
      if (current == null || !current.path("enable").asBoolean()) {
        throw invalidColumnOption(name, "FULLTEXT index already disabled");
      }
      options.put("enable", false);
      options.put("analyzer", current.path("analyzer").asText("English"));
      options.put("case-sensitive", current.path("case-sensitive").asBoolean(false));
    }
    metadata.put(ColumnSchemas.FULLTEXT_KEY, options.toString());
  }

  private static DdlException invalidColumnOption(String column, String message) {
    return DdlException.invalidArguments("Invalid column option, column name: " + column
        + ", error: " + message);
  }

  /** The metadata of the column named so, none when there is no such column (no error). */
  private List<ObjectNode> metadataOf(String name) {
    int index = indexOf(name);
    return index < 0 ? List.of() : List.of(metadata(columns.get(index)));
  }

  private static ObjectNode metadata(ObjectNode column) {
    return column.path("metadata").isObject() ? (ObjectNode) column.get("metadata")
        : column.putObject("metadata");
  }

  private int indexOf(String name) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).path("name").asText().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isTimeIndex(JsonNode column) {
    return column.path("is_time_index").asBoolean(false);
  }

  /**
   * The new RawTableInfo: columns, {@code timestamp_index} (the first time index column, which
   * must be a timestamp), schema version + 1 when {@code schemaChanged}, primary and value
   * indices, {@code ident.version} + 1.
   */
  private ObjectNode build(boolean schemaChanged) {
    ObjectNode schema = (ObjectNode) meta.get("schema");
    ArrayNode columnSchemas = schema.putArray("column_schemas");
    columns.forEach(columnSchemas::add);
    Integer timestampIndex = null;
    for (int i = 0; i < columns.size(); i++) {
      if (isTimeIndex(columns.get(i))) {
        timestampIndex = i;
        break;
      }
    }
    if (timestampIndex == null) {
      schema.putNull("timestamp_index");
    } else {
      if (!ColumnSchemas.typeName(columns.get(timestampIndex).path("data_type"))
          .equals("Timestamp")) {
        throw DdlException.invalidArguments("Failed to build schema, msg: table " + table
            + ": time index column " + columns.get(timestampIndex).path("name").asText()
            + " is not a timestamp");
      }
      schema.put("timestamp_index", timestampIndex);
    }
    if (schemaChanged) {
      schema.put("version", schema.path("version").asLong() + 1);
    }
    ArrayNode keys = meta.putArray("primary_key_indices");
    primaryKeys.forEach(keys::add);
    ArrayNode values = meta.putArray("value_indices");
    for (int i = 0; i < columns.size(); i++) {
      if (!primaryKeys.contains(i)) {
        values.add(i);
      }
    }
    ObjectNode ident = (ObjectNode) info.path("ident");
    ident.put("version", ident.path("version").asLong() + 1);
    return info;
  }
}
