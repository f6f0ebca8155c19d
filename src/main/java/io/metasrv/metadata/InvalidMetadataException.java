package io.metasrv.metadata;

import io.metasrv.kv.Bytes;

/**
 * A stored key or value that is not what GreptimeDB's layout says it is: a key that does not parse,
 * or a value that does not decode. The message names the key or shows the value.
 */
public final class InvalidMetadataException extends RuntimeException {
  private static final int SHOWN_VALUE_CHARS = 200;

  public InvalidMetadataException(String message) {
    super(message);
  }

  private InvalidMetadataException(String message, Throwable cause) {
    super(message, cause);
  }

  static InvalidMetadataException invalidKey(String what, byte[] key) {
    return new InvalidMetadataException("invalid " + what + " '" + Bytes.show(key) + "'");
  }

  static InvalidMetadataException undecodable(String what, byte[] value, Throwable cause) {
    String text = Bytes.utf8(value);
    if (text.length() > SHOWN_VALUE_CHARS) {
      text = text.substring(0, SHOWN_VALUE_CHARS) + "...";
    }
    String reason = cause.getMessage() == null ? cause.toString() : firstLine(cause.getMessage());
    return new InvalidMetadataException(
        "cannot decode " + what + " from '" + text + "': " + reason, cause);
  }

  private static String firstLine(String message) {
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
