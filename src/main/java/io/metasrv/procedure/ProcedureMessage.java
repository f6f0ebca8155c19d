package io.metasrv.procedure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The stored value of a {@code .step} or {@code .rollback} key, GreptimeDB's {@code
 * ProcedureMessage}, as serde_json writes it: compact, fields in the order {@code type_name},
 * {@code data} (the procedure's dump, a JSON string), {@code parent_id} (written as {@code null}
 * when absent), {@code step}, {@code error} (left out when absent; only rollback records carry
 * it), and {@code \\u00xx} escapes in lowercase hex.
 */
record ProcedureMessage(String typeName, String data, Optional<ProcedureId> parentId, long step,
    Optional<String> error) {

  /** A step is a u32 in GreptimeDB. */
  static final long MAX_STEP = 0xFFFF_FFFFL;

  private static final JsonFactory JSON = JsonFactory.builder()
      .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
      .build();
  private static final ObjectMapper READER = new ObjectMapper(JSON);

  /** A root procedure's step record. */
  static ProcedureMessage step(String typeName, String data, long step) {
    return new ProcedureMessage(typeName, data, Optional.empty(), step, Optional.empty());
  }

  /** A root procedure's rollback record. */
  static ProcedureMessage rollback(String typeName, String data, long step, String error) {
    return new ProcedureMessage(typeName, data, Optional.empty(), step, Optional.of(error));
  }

  byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length() + 96);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("type_name", typeName);
      json.writeStringField("data", data);
      if (parentId.isPresent()) {
        json.writeStringField("parent_id", parentId.get().toString());
      } else {
        json.writeNullField("parent_id");
      }
      json.writeNumberField("step", step);
      if (error.isPresent()) {
        json.writeStringField("error", error.get());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a procedure message", e);
    }
    return out.toByteArray();
  }

  /**
   * Reads a message with serde's rules: unknown fields ignored, {@code parent_id} and {@code
   * error} may be missing or null.
   *
   * @throws IllegalArgumentException when the value is not such a message
   */
  static ProcedureMessage fromJson(byte[] value) {
    JsonNode root;
    try {
      root = READER.readTree(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read a procedure message from memory", e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    JsonNode step = root.get("step");
    if (step == null || !step.canConvertToLong() || !step.isIntegralNumber()
        || step.asLong() < 0 || step.asLong() > MAX_STEP) {
      throw new IllegalArgumentException("field step is missing or not a u32");
    }
    return new ProcedureMessage(
        requiredText(root, "type_name"),
        requiredText(root, "data"),
        optionalText(root, "parent_id").map(ProcedureId::parse),
        step.asLong(),
        optionalText(root, "error"));
  }

  private static String requiredText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual()) {
      throw new IllegalArgumentException("field " + field + " is missing or not a string");
    }
    return node.textValue();
  }

  private static Optional<String> optionalText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isTextual()) {
      throw new IllegalArgumentException("field " + field + " is not a string");
    }
    return Optional.of(node.textValue());
  }
}
