package io.metasrv.kv;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/** Byte-key helpers: unsigned ordering, etcd prefix ends, readable rendering. */
public final class Bytes {
  public static final byte[] EMPTY = new byte[0];

  /** etcd's "no bound" marker: a range end of one zero byte means "to the end of the keyspace". */
  public static final byte[] ZERO = new byte[] {0};

  /** Lexicographic order over unsigned bytes, the order of every backend. */
  public static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;

  private Bytes() {}

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * The smallest key greater than every key that starts with {@code prefix}, as etcd's
   * {@code GetPrefixRangeEnd}: the prefix with its last byte below 0xff incremented and the
   * rest cut. A prefix of only 0xff bytes (or an empty one) has no end: {@link #ZERO}.
   */
  public static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xff) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return ZERO.clone();
  }

  public static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  public static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** The key as text when it is printable UTF-8, otherwise as hex; for messages and logs. */
  public static String show(byte[] key) {
    if (key == null) {
      return "null";
    }
    String text = utf8(key);
    boolean printable = text.chars().allMatch(c -> c >= 0x20 && c != 0x7f && c != 0xfffd);
    if (printable) {
      return "\"" + (text.length() > 128 ? text.substring(0, 128) + "..." : text) + "\"";
    }
    StringBuilder hex = new StringBuilder("0x");
    for (int i = 0; i < Math.min(key.length, 64); i++) {
      hex.append(String.format("%02x", key[i]));
    }
    return key.length > 64 ? hex.append("...").toString() : hex.toString();
  }
}
