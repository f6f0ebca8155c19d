package io.metasrv.metadata;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code __table_info/{table_id}}: a table's schema and options ({@link TableInfoValue}). */
public record TableInfoKey(long tableId) implements MetadataKey {
  public static final String PREFIX = "__table_info";
  private static final Pattern PATTERN = KeyText.pattern(PREFIX + "/([0-9]+)");

  public static byte[] rangePrefix() {
    return KeyText.utf8(PREFIX + "/");
  }

  public static TableInfoKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "TableInfoKey");
    return new TableInfoKey(KeyText.u32(m.group(1), key, "TableInfoKey"));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + tableId;
  }
}
