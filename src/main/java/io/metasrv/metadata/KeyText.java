package io.metasrv.metadata;

import io.metasrv.kv.Bytes;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the textual metadata keys, with GreptimeDB's patterns and number types. */
final class KeyText {
  /** GreptimeDB's {@code NAME_PATTERN} for catalog, schema, table and flow names. */
  static final String NAME = "[a-zA-Z_:-][a-zA-Z0-9_:\\-\\.@#]*";

  private static final long U32_MAX = 0xFFFF_FFFFL;

  private KeyText() {}

  static Pattern pattern(String regex) {
    return Pattern.compile("^" + regex + "$");
  }

  /** Matches the whole key, which must be valid UTF-8, against {@code pattern}. */
  static Matcher match(Pattern pattern, byte[] key, String what) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(key))
              .toString();
    } catch (CharacterCodingException e) {
      throw InvalidMetadataException.invalidKey(what + " (not UTF-8)", key);
    }
    Matcher matcher = pattern.matcher(text);
    if (!matcher.matches()) {
      throw InvalidMetadataException.invalidKey(what, key);
    }
    return matcher;
  }

  /** An unsigned 32-bit number such as a table id. */
  static long u32(String digits, byte[] key, String what) {
    long value = u64(digits, key, what);
    if (Long.compareUnsigned(value, U32_MAX) > 0) {
      throw InvalidMetadataException.invalidKey(what + " (number out of range)", key);
    }
    return value;
  }

  /** An unsigned 64-bit number such as a node id, kept in a long as its bit pattern. */
  static long u64(String digits, byte[] key, String what) {
    try {
      return Long.parseUnsignedLong(digits);
    } catch (NumberFormatException e) {
      throw InvalidMetadataException.invalidKey(what + " (number out of range)", key);
    }
  }

  static String u64(long value) {
    return Long.toUnsignedString(value);
  }

  static byte[] utf8(String text) {
    return Bytes.utf8(text);
  }
}
