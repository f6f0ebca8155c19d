package io.metasrv.metadata;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code __table_name/{catalog}/{schema}/{table}}: a table's id by name ({@link TableNameValue}).
 */
public record TableNameKey(String catalog, String schema, String table) implements MetadataKey {
  public static final String PREFIX = "__table_name";
  private static final Pattern PATTERN =
      KeyText.pattern(
          PREFIX + "/(" + KeyText.NAME + ")/(" + KeyText.NAME + ")/(" + KeyText.NAME + ")");

  private static final Pattern NAME = Pattern.compile(KeyText.NAME);

  /** Whether a catalog, schema or table name matches GreptimeDB's {@code NAME_PATTERN}. */
  public static boolean isValidName(String name) {
    return NAME.matcher(name).matches();
  }

  public TableNameKey {
    Objects.requireNonNull(catalog, "catalog");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
  }

  /** {@code __table_name/{catalog}/{schema}/}: every table of a schema. */
  public static byte[] prefix(String catalog, String schema) {
    return KeyText.utf8(PREFIX + "/" + catalog + "/" + schema + "/");
  }

  public static TableNameKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "TableNameKey");
    return new TableNameKey(m.group(1), m.group(2), m.group(3));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + catalog + "/" + schema + "/" + table;
  }
}
