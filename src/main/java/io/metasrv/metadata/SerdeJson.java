package io.metasrv.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON written byte for byte as Rust's {@code serde_json} writes it, and read as strictly as
 * GreptimeDB's serde types read it. GreptimeDB nodes read what metasrv writes and metasrv compares
 * stored values byte for byte, so the text form matters, not only the meaning.
 *
 * <p>What makes the output identical: compact form, fields in declaration order (the value records
 * declare them in GreptimeDB's order), {@code null} written for absent optional values, only {@code
 * "}, {@code \} and control characters escaped, with lower-case hex digits as serde_json writes
 * them, characters beyond the BMP as their four UTF-8 bytes (not as escaped surrogate pairs). What
 * makes the input as strict: no coercion of strings or floats to numbers, no {@code null} for a
 * number, nothing after the value; unknown fields are ignored, as serde does by default. Fractional
 * numbers in trees (opaque values such as table info) are kept as decimals, so they are written
 * back with the digits they were read with.
 */
public final class SerdeJson {
  /** The mapper every codec of metasrv's GreptimeDB values uses. */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
          .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private SerdeJson() {}

  /**
   * Reads a value of {@code type}.
   *
   * @throws InvalidMetadataException naming {@code what} when the bytes are not such a value
   */
  public static <T> T read(byte[] json, Class<T> type, String what) {
    try {
      return MAPPER.readValue(json, type);
    } catch (IOException | RuntimeException e) {
      throw InvalidMetadataException.undecodable(what, json, e);
    }
  }

  /** Reads any JSON value as a tree. */
  public static JsonNode readTree(byte[] json, String what) {
    try {
      JsonNode tree = MAPPER.readTree(json);
      if (tree == null || tree.isMissingNode()) {
        throw new IllegalArgumentException("no JSON value");
      }
      return tree;
    } catch (IOException | RuntimeException e) {
      throw InvalidMetadataException.undecodable(what, json, e);
    }
  }

  /** Converts a tree read with {@link #readTree} into a value of {@code type}. */
  public static <T> T convert(JsonNode tree, Class<T> type, String what) {
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (IOException | RuntimeException e) {
      throw InvalidMetadataException.undecodable(
          what, tree.toString().getBytes(StandardCharsets.UTF_8), e);
    }
  }

  /** Writes a value as UTF-8 JSON bytes. */
  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  /** Writes a value as a JSON string. */
  public static String writeString(Object value) {
    return new String(write(value), StandardCharsets.UTF_8);
  }
}
