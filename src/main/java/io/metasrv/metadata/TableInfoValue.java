package io.metasrv.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The value of {@code __table_info/{table_id}}: {@code {"table_info":RawTableInfo,"version":u64}}.
 * The table info (schema, columns, options) is GreptimeDB's business: it is kept as the JSON tree
 * read, and {@link #encode()} gives back exactly the bytes read. Only the few fields metasrv needs
 * have typed accessors; decoding checks they are there.
 */
public final class TableInfoValue {
  private static final String WHAT = "TableInfoValue";

  private final byte[] json;
  private final JsonNode tableInfo;
  private final long version;

  private TableInfoValue(byte[] json, JsonNode tableInfo, long version) {
    this.json = json;
    this.tableInfo = tableInfo;
    this.version = version;
  }

  public static TableInfoValue decode(byte[] json) {
    JsonNode tree = SerdeJson.readTree(json, WHAT);
    JsonNode tableInfo = tree.get("table_info");
    JsonNode version = tree.get("version");
    if (tableInfo == null || !tableInfo.isObject()) {
      throw invalid(json, "missing object field `table_info`");
    }
    if (version == null || !version.isIntegralNumber() || version.asLong() < 0) {
      throw invalid(json, "missing or invalid field `version`");
    }
    TableInfoValue value = new TableInfoValue(json.clone(), tableInfo, version.asLong());
    value.checkTypedFields();
    return value;
  }

  /** A new value at {@code version} around {@code tableInfo} (a RawTableInfo object). */
  public static TableInfoValue of(JsonNode tableInfo, long version) {
    ObjectNode tree = SerdeJson.MAPPER.createObjectNode();
    tree.set("table_info", tableInfo.deepCopy());
    tree.put("version", version);
    return decode(SerdeJson.write(tree));
  }

  /** The next version of this value, with {@code newTableInfo}. */
  public TableInfoValue update(JsonNode newTableInfo) {
    return of(newTableInfo, version + 1);
  }

  /** The bytes of this value: as read, or as written by {@link #of}. */
  public byte[] encode() {
    return json.clone();
  }

  public long version() {
    return version;
  }

  /** A copy of the RawTableInfo object. */
  public JsonNode tableInfo() {
    return tableInfo.deepCopy();
  }

  /** {@code table_info.ident.table_id}. */
  public long tableId() {
    return tableInfo.path("ident").path("table_id").asLong();
  }

  public String name() {
    return tableInfo.path("name").asText();
  }

  public String catalogName() {
    return tableInfo.path("catalog_name").asText();
  }

  public String schemaName() {
    return tableInfo.path("schema_name").asText();
  }

  /** {@code table_info.meta.engine}. */
  public String engine() {
    return tableInfo.path("meta").path("engine").asText();
  }

  /** {@code table_info.meta.region_numbers}. */
  public List<Long> regionNumbers() {
    List<Long> numbers = new ArrayList<>();
    tableInfo.path("meta").path("region_numbers").forEach(n -> numbers.add(n.asLong()));
    return Collections.unmodifiableList(numbers);
  }

  /** The storage path of the table's regions, {@code "{catalog}/{schema}"}. */
  public String regionStoragePath() {
    return catalogName() + "/" + schemaName();
  }

  private void checkTypedFields() {
    requireIntegral(tableInfo.path("ident").path("table_id"), "table_info.ident.table_id");
    requireText(tableInfo.path("name"), "table_info.name");
    requireText(tableInfo.path("catalog_name"), "table_info.catalog_name");
    requireText(tableInfo.path("schema_name"), "table_info.schema_name");
    requireText(tableInfo.path("meta").path("engine"), "table_info.meta.engine");
    JsonNode regionNumbers = tableInfo.path("meta").path("region_numbers");
    if (!regionNumbers.isArray()) {
      throw invalid(json, "missing array `table_info.meta.region_numbers`");
    }
    regionNumbers.forEach(n -> requireIntegral(n, "table_info.meta.region_numbers[]"));
  }

  private void requireText(JsonNode node, String field) {
    if (!node.isTextual()) {
      throw invalid(json, "missing string `" + field + "`");
    }
  }

  private void requireIntegral(JsonNode node, String field) {
    if (!node.isIntegralNumber() || node.asLong() < 0) {
      throw invalid(json, "missing unsigned integer `" + field + "`");
    }
  }

  private static InvalidMetadataException invalid(byte[] json, String reason) {
    return InvalidMetadataException.undecodable(WHAT, json, new IllegalArgumentException(reason));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TableInfoValue other && Arrays.equals(json, other.json);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(json);
  }

  @Override
  public String toString() {
    return "TableInfoValue(table_id="
        + tableId()
        + ", name="
        + name()
        + ", version="
        + version
        + ")";
  }
}
