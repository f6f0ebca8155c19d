package io.metasrv.metadata;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code __dn_table/{datanode_id}/{table_id}}: the regions of a table that a datanode leads ({@link
 * DatanodeTableValue}). Datanodes scan {@link #prefix(long)} of their own id at start to open their
 * regions.
 */
public record DatanodeTableKey(long datanodeId, long tableId) implements MetadataKey {
  public static final String PREFIX = "__dn_table";
  private static final Pattern PATTERN = KeyText.pattern(PREFIX + "/([0-9]+)/([0-9]+)");

  /** {@code __dn_table/{datanode_id}/}: every table of one datanode. */
  public static byte[] prefix(long datanodeId) {
    return KeyText.utf8(PREFIX + "/" + KeyText.u64(datanodeId) + "/");
  }

  public static DatanodeTableKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "DatanodeTableKey");
    return new DatanodeTableKey(
        KeyText.u64(m.group(1), key, "DatanodeTableKey"),
        KeyText.u32(m.group(2), key, "DatanodeTableKey"));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + KeyText.u64(datanodeId) + "/" + tableId;
  }
}
