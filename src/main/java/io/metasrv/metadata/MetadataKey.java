package io.metasrv.metadata;

/**
 * A key of GreptimeDB's metadata layout. Each key type parses its bytes with a static {@code
 * parse(byte[])} (throwing {@link InvalidMetadataException}) and prints them with {@link
 * #toBytes()}; {@code toString()} is the key as text.
 */
public interface MetadataKey {
  byte[] toBytes();
}
