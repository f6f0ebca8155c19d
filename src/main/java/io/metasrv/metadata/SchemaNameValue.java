package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.config.HumanDuration;

/**
 * The value of {@code __schema_name/{catalog}/{schema}}: {@code {"ttl":null}}, {@code
 * {"ttl":"forever"}} or {@code {"ttl":"<humantime>"}} such as {@code "7days"}. The TTL is kept as
 * the text read ({@code null} when unset); {@code "instant"} is refused as GreptimeDB refuses it
 * for databases. A stored literal {@code null} (GreptimeDB reads it as "no value") decodes to a
 * value without TTL.
 */
public record SchemaNameValue(@JsonProperty("ttl") String ttl) {
  public static final String FOREVER = "forever";
  public static final SchemaNameValue NO_TTL = new SchemaNameValue(null);

  public SchemaNameValue {
    if (ttl != null && !ttl.equals(FOREVER)) {
      try {
        HumanDuration.parse(ttl);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "invalid database ttl \"" + ttl + "\": " + e.getMessage());
      }
    }
  }

  public static SchemaNameValue decode(byte[] json) {
    JsonNode tree = SerdeJson.readTree(json, "SchemaNameValue");
    return tree.isNull()
        ? NO_TTL
        : SerdeJson.convert(tree, SchemaNameValue.class, "SchemaNameValue");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }
}
