package io.metasrv.metadata;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code __schema_name/{catalog}/{schema}}: a schema exists, with its options ({@link
 * SchemaNameValue}).
 */
public record SchemaNameKey(String catalog, String schema) implements MetadataKey {
  public static final String PREFIX = "__schema_name";
  private static final Pattern PATTERN =
      KeyText.pattern(PREFIX + "/(" + KeyText.NAME + ")/(" + KeyText.NAME + ")");

  public SchemaNameKey {
    Objects.requireNonNull(catalog, "catalog");
    Objects.requireNonNull(schema, "schema");
  }

  /** {@code __schema_name/{catalog}/}: every schema of a catalog. */
  public static byte[] prefix(String catalog) {
    return KeyText.utf8(PREFIX + "/" + catalog + "/");
  }

  public static SchemaNameKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "SchemaNameKey");
    return new SchemaNameKey(m.group(1), m.group(2));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + catalog + "/" + schema;
  }
}
