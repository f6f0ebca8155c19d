package io.metasrv.heartbeat.instruction;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.time.Duration;

/** The two JSON forms of a Rust {@code Duration} in GreptimeDB's instructions. */
final class DurationJson {
  private DurationJson() {}

  /** serde's own form: {@code {"secs":u64,"nanos":u32}}. */
  static final class SecsNanosWriter extends JsonSerializer<Duration> {
    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeStartObject();
      gen.writeNumberField("secs", value.getSeconds());
      gen.writeNumberField("nanos", value.getNano());
      gen.writeEndObject();
    }
  }

  static final class SecsNanosReader extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonNode tree = context.readTree(parser);
      JsonNode secs = tree.get("secs");
      JsonNode nanos = tree.get("nanos");
      if (!unsigned(secs) || !unsigned(nanos) || nanos.longValue() > 0xFFFF_FFFFL) {
        throw context.instantiationException(
            Duration.class, "expected {\"secs\":u64,\"nanos\":u32}, got " + tree);
      }
      return Duration.ofSeconds(secs.longValue(), nanos.longValue());
    }

    private static boolean unsigned(JsonNode node) {
      return node != null
          && node.isIntegralNumber()
          && node.canConvertToLong()
          && node.longValue() >= 0;
    }
  }

  /** {@code humantime_serde}'s form: a string such as {@code "10s"}. */
  static final class HumantimeWriter extends JsonSerializer<Duration> {
    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(Humantime.format(value));
    }
  }

  static final class HumantimeReader extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonNode tree = context.readTree(parser);
      if (!tree.isTextual()) {
        throw context.instantiationException(
            Duration.class, "expected a humantime duration string, got " + tree);
      }
      try {
        return Humantime.parse(tree.asText());
      } catch (IllegalArgumentException e) {
        throw context.instantiationException(Duration.class, e.getMessage());
      }
    }
  }
}
