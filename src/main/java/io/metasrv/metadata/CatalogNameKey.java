package io.metasrv.metadata;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code __catalog_name/{catalog}}: a catalog exists ({@link CatalogNameValue}). */
public record CatalogNameKey(String catalog) implements MetadataKey {
  public static final String PREFIX = "__catalog_name";
  private static final Pattern PATTERN = KeyText.pattern(PREFIX + "/(" + KeyText.NAME + ")");

  public CatalogNameKey {
    Objects.requireNonNull(catalog, "catalog");
  }

  public static byte[] rangePrefix() {
    return KeyText.utf8(PREFIX + "/");
  }

  public static CatalogNameKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "CatalogNameKey");
    return new CatalogNameKey(m.group(1));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + catalog;
  }
}
