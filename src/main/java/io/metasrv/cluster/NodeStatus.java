package io.metasrv.cluster;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.io.IOException;
import java.util.Map;

/**
 * The role-specific part of a {@link NodeInfo}, externally tagged as serde writes a Rust enum:
 * {@code {"Datanode":{"rcus":i64,"wcus":i64,"leader_regions":n,"follower_regions":n}}}, {@code
 * {"Frontend":{}}}, {@code {"Flownode":{}}}, {@code {"Metasrv":{"is_leader":bool}}}, or the string
 * {@code "Standalone"}.
 */
@JsonSerialize(using = NodeStatus.Writer.class)
@JsonDeserialize(using = NodeStatus.Reader.class)
public sealed interface NodeStatus {

  /**
   * A datanode's load: capacity units and its regions, leaders counted by reported role Leader,
   * followers being all the others (a DowngradingLeader counts as a follower).
   */
  record Datanode(long rcus, long wcus, long leaderRegions, long followerRegions)
      implements NodeStatus {}

  record Frontend() implements NodeStatus {}

  record Flownode() implements NodeStatus {}

  record Metasrv(boolean isLeader) implements NodeStatus {}

  record Standalone() implements NodeStatus {}

  /** Writes the externally tagged form. */
  final class Writer extends JsonSerializer<NodeStatus> {
    @Override
    public void serialize(NodeStatus status, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      if (status instanceof Standalone) {
        gen.writeString("Standalone");
        return;
      }
      gen.writeStartObject();
      if (status instanceof Datanode d) {
        gen.writeObjectFieldStart("Datanode");
        gen.writeNumberField("rcus", d.rcus());
        gen.writeNumberField("wcus", d.wcus());
        gen.writeNumberField("leader_regions", d.leaderRegions());
        gen.writeNumberField("follower_regions", d.followerRegions());
      } else if (status instanceof Metasrv m) {
        gen.writeObjectFieldStart("Metasrv");
        gen.writeBooleanField("is_leader", m.isLeader());
      } else {
        gen.writeObjectFieldStart(status instanceof Frontend ? "Frontend" : "Flownode");
      }
      gen.writeEndObject();
      gen.writeEndObject();
    }
  }

  /** Reads the externally tagged form; every field of a variant is required. */
  final class Reader extends JsonDeserializer<NodeStatus> {
    @Override
    public NodeStatus deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonNode tree = context.readTree(parser);
      if (tree.isTextual()) {
        if (tree.asText().equals("Standalone")) {
          return new Standalone();
        }
        throw context.weirdStringException(
            tree.asText(), NodeStatus.class, "unknown or non-unit variant");
      }
      if (!tree.isObject() || tree.size() != 1) {
        throw context.instantiationException(
            NodeStatus.class, "expected a string or an object with exactly one variant");
      }
      Map.Entry<String, JsonNode> variant = tree.fields().next();
      JsonNode body = variant.getValue();
      return switch (variant.getKey()) {
        case "Datanode" ->
            new Datanode(
                integer(body, "rcus", context),
                integer(body, "wcus", context),
                unsigned(body, "leader_regions", context),
                unsigned(body, "follower_regions", context));
        case "Frontend" -> empty(body, new Frontend(), context);
        case "Flownode" -> empty(body, new Flownode(), context);
        case "Metasrv" -> {
          JsonNode isLeader = body.get("is_leader");
          if (isLeader == null || !isLeader.isBoolean()) {
            throw missing("is_leader", context);
          }
          yield new Metasrv(isLeader.booleanValue());
        }
        case "Standalone" -> empty(body, new Standalone(), context);
        default ->
            throw context.instantiationException(
                NodeStatus.class, "unknown variant `" + variant.getKey() + "`");
      };
    }

    private static NodeStatus empty(
        JsonNode body, NodeStatus status, DeserializationContext context) throws IOException {
      boolean ok = body.isNull() || body.isObject() || (body.isArray() && body.isEmpty());
      if (!ok) {
        throw context.instantiationException(NodeStatus.class, "expected an empty struct");
      }
      return status;
    }

    private static long integer(JsonNode body, String field, DeserializationContext context)
        throws IOException {
      JsonNode value = body.get(field);
      if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
        throw missing(field, context);
      }
      return value.longValue();
    }

    private static long unsigned(JsonNode body, String field, DeserializationContext context)
        throws IOException {
      long value = integer(body, field, context);
      if (value < 0) {
        throw context.instantiationException(
            NodeStatus.class, "invalid value: integer `" + value + "` for `" + field + "`");
      }
      return value;
    }

    private static IOException missing(String field, DeserializationContext context) {
      return context.instantiationException(
          NodeStatus.class, "missing or invalid field `" + field + "`");
    }
  }
}
