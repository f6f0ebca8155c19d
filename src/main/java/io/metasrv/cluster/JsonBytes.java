package io.metasrv.cluster;

import io.metasrv.metadata.SerdeJson;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Compact JSON written straight into a byte array, token by token, for values the leader writes
 * on every heartbeat: what {@link SerdeJson#write} would write for them, byte for byte, without
 * the mapper's per-value reflection and generator. The caller writes the structure (names,
 * commas, brackets); strings that need escaping, or are not ASCII, are written by the mapper.
 */
final class JsonBytes {
  private byte[] buf;
  private int count;

  JsonBytes(int expectedSize) {
    buf = new byte[Math.max(16, expectedSize)];
  }

  /** ASCII text as it is: punctuation and {@code "name":} prefixes. */
  JsonBytes raw(byte[] ascii) {
    ensure(ascii.length);
    System.arraycopy(ascii, 0, buf, count, ascii.length);
    count += ascii.length;
    return this;
  }

  JsonBytes raw(char ascii) {
    ensure(1);
    buf[count++] = (byte) ascii;
    return this;
  }

  /** A signed 64-bit integer. */
  JsonBytes number(long value) {
    if (value < 0) {
      if (value == Long.MIN_VALUE) {
        return raw(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
      }
      raw('-');
      value = -value;
    }
    return digits(value);
  }

  /** A {@code u64} held as the bit pattern of a {@code long}. */
  JsonBytes unsigned(long value) {
    return value >= 0 ? digits(value)
        : raw(Long.toUnsignedString(value).getBytes(StandardCharsets.US_ASCII));
  }

  /** A string, quoted, escaped as serde_json escapes it. */
  JsonBytes string(String value) {
    int length = value.length();
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        return raw(SerdeJson.write(value));
      }
    }
    ensure(length + 2);
    buf[count++] = '"';
    for (int i = 0; i < length; i++) {
      buf[count++] = (byte) value.charAt(i);
    }
    buf[count++] = '"';
    return this;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, count);
  }

  /** The name of a field and its colon, as {@link #raw(byte[])} takes it. */
  static byte[] name(String field) {
    return ("\"" + field + "\":").getBytes(StandardCharsets.US_ASCII);
  }

  private JsonBytes digits(long value) {
    int digits = 1;
    for (long rest = value / 10; rest > 0; rest /= 10) {
      digits++;
    }
    ensure(digits);
    for (int i = count + digits - 1; i >= count; i--) {
      buf[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
    count += digits;
    return this;
  }

  private void ensure(int more) {
    if (count + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
    }
  }
}
