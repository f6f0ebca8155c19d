package io.metasrv.procedure;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One lock a procedure holds: a key string of GreptimeDB's {@code lock_key.rs} taken for reading
 * (shared) or writing (exclusive).
 *
 * <p>Ordered as GreptimeDB's {@code StringKey}: every shared key before every exclusive one, each
 * group by the key's UTF-8 bytes. {@link #toString()} is the Rust Debug form GreptimeDB lists
 * procedures' lock keys with, e.g. {@code Share("__catalog_lock/greptime")}.
 */
public final class LockKey implements Comparable<LockKey> {
  private final String key;
  private final boolean exclusive;
  private final byte[] utf8;

  private LockKey(String key, boolean exclusive) {
    this.key = key;
    this.exclusive = exclusive;
    this.utf8 = key.getBytes(StandardCharsets.UTF_8);
  }

  public static LockKey catalogRead(String catalog) {
    return new LockKey(catalog(catalog), false);
  }

  public static LockKey catalogWrite(String catalog) {
    return new LockKey(catalog(catalog), true);
  }

  public static LockKey schemaRead(String catalog, String schema) {
    return new LockKey(schema(catalog, schema), false);
  }

  public static LockKey schemaWrite(String catalog, String schema) {
    return new LockKey(schema(catalog, schema), true);
  }

  public static LockKey tableRead(long tableId) {
    return new LockKey("__table_lock/" + tableId, false);
  }

  public static LockKey tableWrite(long tableId) {
    return new LockKey("__table_lock/" + tableId, true);
  }

  /** Table names are only ever locked for writing (creating or renaming a table). */
  public static LockKey tableNameWrite(String catalog, String schema, String table) {
    return new LockKey("__table_name_lock/" + catalog + "." + schema + "." + table, true);
  }

  /** @param regionId the region id, printed as an unsigned 64-bit number */
  public static LockKey regionRead(long regionId) {
    return new LockKey(region(regionId), false);
  }

  /** @param regionId the region id, printed as an unsigned 64-bit number */
  public static LockKey regionWrite(long regionId) {
    return new LockKey(region(regionId), true);
  }

  public static LockKey flowRead(long flowId) {
    return new LockKey("__flow_lock/" + flowId, false);
  }

  public static LockKey flowWrite(long flowId) {
    return new LockKey("__flow_lock/" + flowId, true);
  }

  /** Flow names are only ever locked for writing. */
  public static LockKey flowNameWrite(String catalog, String flowName) {
    return new LockKey("__flow_name_lock/" + catalog + "." + flowName, true);
  }

  private static String catalog(String catalog) {
    return "__catalog_lock/" + catalog;
  }

  private static String schema(String catalog, String schema) {
    return "__schema_lock/" + catalog + "." + schema;
  }

  private static String region(long regionId) {
    return "__region_lock/" + Long.toUnsignedString(regionId);
  }

  /** The key string, e.g. {@code __table_lock/1024}. */
  public String key() {
    return key;
  }

  /** Whether the key is locked for writing. */
  public boolean exclusive() {
    return exclusive;
  }

  @Override
  public int compareTo(LockKey other) {
    if (exclusive != other.exclusive) {
      return exclusive ? 1 : -1;
    }
    return Arrays.compareUnsigned(utf8, other.utf8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LockKey other && exclusive == other.exclusive && key.equals(other.key);
  }

  @Override
  public int hashCode() {
    return key.hashCode() * 31 + (exclusive ? 1 : 0);
  }

  /** Rust's Debug form: {@code Share("__table_lock/1024")} or {@code Exclusive("...")}. */
  @Override
  public String toString() {
    return (exclusive ? "Exclusive(" : "Share(") + debugString(key) + ")";
  }

  /** A string as Rust's {@code Debug} prints it: quoted, with Rust's escapes. */
  private static String debugString(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    s.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case 0 -> out.append("\\0");
        default -> {
          if (Character.isISOControl(c)) {
            out.append("\\u{").append(Integer.toHexString(c)).append('}');
          } else {
            out.appendCodePoint(c);
          }
        }
      }
    });
    return out.append('"').toString();
  }
}
