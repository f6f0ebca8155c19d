package io.metasrv.metadata;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code __table_route/{table_id}}: where the regions of a table are ({@link TableRouteValue}). */
public record TableRouteKey(long tableId) implements MetadataKey {
  public static final String PREFIX = "__table_route";
  private static final Pattern PATTERN = KeyText.pattern(PREFIX + "/([0-9]+)");

  /** The prefix of every table route key, for range scans. */
  public static byte[] rangePrefix() {
    return KeyText.utf8(PREFIX + "/");
  }

  public static TableRouteKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "TableRouteKey");
    return new TableRouteKey(KeyText.u32(m.group(1), key, "TableRouteKey"));
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
