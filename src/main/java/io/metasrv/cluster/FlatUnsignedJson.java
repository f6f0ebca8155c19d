package io.metasrv.cluster;

import java.util.Arrays;

/**
 * Reads the one JSON form datanodes send in every heartbeat for every region without building a
 * tree: a flat object whose values are unsigned integers, as serde_json writes a struct of
 * {@code u64}s ({@code {"num_rows":10,"memtable_size":1024}}), JSON whitespace allowed between
 * tokens. It reads only what it can read exactly as a JSON parser would: names of printable ASCII
 * without escapes, integers of at most 18 digits without leading zeros (so below 2^63). Anything
 * else, valid JSON or not, makes it answer that it did not read the text, and the caller reads it
 * with a full parser.
 */
final class FlatUnsignedJson {
  /** Fewer digits than this always fit a signed long: 10^18 − 1 < 2^63. */
  private static final int MAX_DIGITS = 18;

  private FlatUnsignedJson() {}

  /**
   * Reads the values of the fields named {@code names} in {@code json[from, to)} into {@code
   * values} and marks them in {@code present}; other fields are skipped, and a field named twice
   * keeps its last value, as a JSON parser's tree does.
   *
   * @return whether the text is such an object; when not, {@code values} and {@code present}
   *     may hold part of it
   */
  static boolean read(byte[] json, int from, int to, byte[][] names, long[] values,
      boolean[] present) {
    int at = skipWhitespace(json, from, to);
    // The field the name is most likely to be: serde writes a struct's fields in order.
    int expected = 0;
    if (at >= to || json[at] != '{') {
      return false;
    }
    at = skipWhitespace(json, at + 1, to);
    if (at < to && json[at] == '}') {
      return skipWhitespace(json, at + 1, to) == to;
    }
    while (true) {
      if (at >= to || json[at] != '"') {
        return false;
      }
      int nameStart = at + 1;
      int nameEnd = nameStart;
      while (nameEnd < to && json[nameEnd] != '"') {
        byte b = json[nameEnd];
        if (b < 0x20 || b > 0x7e || b == '\\') {
          return false;
        }
        nameEnd++;
      }
      if (nameEnd >= to) {
        return false;
      }
      at = skipWhitespace(json, nameEnd + 1, to);
      if (at >= to || json[at] != ':') {
        return false;
      }
      at = skipWhitespace(json, at + 1, to);
      int digitsStart = at;
      long value = 0;
      while (at < to && json[at] >= '0' && json[at] <= '9') {
        value = value * 10 + (json[at] - '0');
        at++;
      }
      int digits = at - digitsStart;
      if (digits == 0 || digits > MAX_DIGITS || (digits > 1 && json[digitsStart] == '0')) {
        return false;
      }
      int field = fieldOf(json, nameStart, nameEnd, names, expected);
      if (field >= 0) {
        values[field] = value;
        present[field] = true;
        expected = field + 1;
      }
      at = skipWhitespace(json, at, to);
      if (at >= to) {
        return false;
      }
      byte next = json[at];
      if (next == '}') {
        return skipWhitespace(json, at + 1, to) == to;
      }
      if (next != ',') {
        return false;
      }
      at = skipWhitespace(json, at + 1, to);
    }
  }

  /**
   * The index of the name {@code json[start, end)} in {@code names}, or -1; {@code expected} is
   * tried first.
   */
  private static int fieldOf(byte[] json, int start, int end, byte[][] names, int expected) {
    if (expected < names.length && sameName(json, start, end, names[expected])) {
      return expected;
    }
    for (int field = 0; field < names.length; field++) {
      if (sameName(json, start, end, names[field])) {
        return field;
      }
    }
    return -1;
  }

  private static boolean sameName(byte[] json, int start, int end, byte[] name) {
    return name.length == end - start && Arrays.equals(json, start, end, name, 0, name.length);
  }

  /** JSON's whitespace: space, tab, line feed, carriage return. */
  private static int skipWhitespace(byte[] json, int at, int size) {
    while (at < size) {
      byte b = json[at];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return at;
      }
      at++;
    }
    return at;
  }
}
