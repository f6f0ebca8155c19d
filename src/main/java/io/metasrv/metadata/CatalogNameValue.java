package io.metasrv.metadata;

/**
 * The value of {@code __catalog_name/{catalog}}: the JSON literal {@code null} (GreptimeDB's value
 * is a unit struct; the key's existence is what counts).
 */
public final class CatalogNameValue {
  private static final byte[] JSON = KeyText.utf8("null");

  private CatalogNameValue() {}

  public static byte[] encode() {
    return JSON.clone();
  }

  /**
   * Checks a stored catalog value.
   *
   * @throws InvalidMetadataException unless it is the JSON {@code null}
   */
  public static void decode(byte[] json) {
    if (!SerdeJson.readTree(json, "CatalogNameValue").isNull()) {
      throw InvalidMetadataException.undecodable(
          "CatalogNameValue", json, new IllegalArgumentException("expected null"));
    }
  }
}
