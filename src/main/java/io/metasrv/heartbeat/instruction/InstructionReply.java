package io.metasrv.heartbeat.instruction;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.UnsignedLongJson.U64;

/**
 * A node's answer to an instruction, internally tagged as GreptimeDB's {@code InstructionReply}:
 * {@code {"type":"open_region","result":true,"error":null}}, {@code {"type":"close_region",...}},
 * {@code {"type":"upgrade_region","ready":..,"exists":..,"error":..}}, {@code
 * {"type":"downgrade_region","last_entry_id":..,"exists":..,"error":..}}. {@code error} is null on
 * success and may be missing when read.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = InstructionReply.OpenRegion.class, name = "open_region"),
  @JsonSubTypes.Type(value = InstructionReply.CloseRegion.class, name = "close_region"),
  @JsonSubTypes.Type(value = InstructionReply.UpgradeRegion.class, name = "upgrade_region"),
  @JsonSubTypes.Type(value = InstructionReply.DowngradeRegion.class, name = "downgrade_region")
})
public sealed interface InstructionReply {

  /** Whether the region is open now. */
  record OpenRegion(
      @JsonProperty(value = "result", required = true) boolean result,
      @JsonProperty("error") String error)
      implements InstructionReply {}

  /** Whether the region is closed now (true also when it did not exist). */
  record CloseRegion(
      @JsonProperty(value = "result", required = true) boolean result,
      @JsonProperty("error") String error)
      implements InstructionReply {}

  /** {@code ready}: the WAL is replayed and the region is leader. */
  record UpgradeRegion(
      @JsonProperty(value = "ready", required = true) boolean ready,
      @JsonProperty(value = "exists", required = true) boolean exists,
      @JsonProperty("error") String error)
      implements InstructionReply {}

  /** The downgraded leader's last WAL entry id, when it has one. */
  record DowngradeRegion(
      @JsonProperty("last_entry_id") @U64 Long lastEntryId,
      @JsonProperty(value = "exists", required = true) boolean exists,
      @JsonProperty("error") String error)
      implements InstructionReply {}

  default String toJson() {
    return SerdeJson.writeString(this);
  }

  /**
   * Reads a reply.
   *
   * @throws MalformedMessageException when the text is not one
   */
  static InstructionReply fromJson(String json) {
    return InstructionJson.convert(InstructionJson.parse(json), InstructionReply.class, json);
  }
}
