package io.metasrv.heartbeat.instruction;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.metasrv.metadata.UnsignedLongJson.U64;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An instruction metasrv sends to a node in a mailbox message, externally tagged as GreptimeDB's
 * {@code Instruction} enum ({@code src/common/meta/src/instruction.rs}): the variant name is the
 * single key, e.g. {@code {"CloseRegion":{"datanode_id":2,"table_id":1024,"region_number":1,
 * "engine":"mito2"}}}. There is no FlushRegions instruction in the GreptimeDB version we speak.
 */
public sealed interface Instruction {

  /**
   * Opens a region: {@code region_wal_options} (number keys written as strings) and {@code
   * skip_wal_replay} default when missing. Maps keep the order given or read.
   */
  record OpenRegion(
      @JsonProperty(value = "region_ident", required = true) RegionIdent regionIdent,
      @JsonProperty(value = "region_storage_path", required = true) String regionStoragePath,
      @JsonProperty(value = "region_options", required = true) Map<String, String> regionOptions,
      @JsonProperty("region_wal_options") Map<Long, String> regionWalOptions,
      @JsonProperty("skip_wal_replay") @JsonSetter(nulls = Nulls.AS_EMPTY) boolean skipWalReplay)
      implements Instruction {
    public OpenRegion {
      Objects.requireNonNull(regionIdent, "regionIdent");
      Objects.requireNonNull(regionStoragePath, "regionStoragePath");
      regionOptions = ordered(regionOptions);
      regionWalOptions = ordered(regionWalOptions == null ? Map.of() : regionWalOptions);
    }

    private static <K> Map<K, String> ordered(Map<K, String> map) {
      return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
  }

  /** Closes a region; the JSON body is the {@link RegionIdent} itself. */
  record CloseRegion(RegionIdent regionIdent) implements Instruction {
    public CloseRegion {
      Objects.requireNonNull(regionIdent, "regionIdent");
    }
  }

  /**
   * Makes a follower region the leader after replaying its WAL up to {@code last_entry_id}. {@code
   * replay_timeout} is a humantime string or null and must always be written (GreptimeDB refuses
   * the instruction without it); {@code last_entry_id} and {@code location_id} may be missing.
   */
  record UpgradeRegion(
      @JsonProperty(value = "region_id", required = true) @U64 long regionId,
      @JsonProperty("last_entry_id") @U64 Long lastEntryId,
      @JsonProperty(value = "replay_timeout", required = true)
          @JsonSerialize(using = DurationJson.HumantimeWriter.class)
          @JsonDeserialize(using = DurationJson.HumantimeReader.class)
          Duration replayTimeout,
      @JsonProperty("location_id") @U64 Long locationId)
      implements Instruction {}

  /**
   * Turns a leader region into a follower, flushing first within {@code flush_timeout} (serde's
   * {@code {"secs","nanos"}} form, null for no flush) and rejecting writes if asked.
   */
  record DowngradeRegion(
      @JsonProperty(value = "region_id", required = true) @U64 long regionId,
      @JsonProperty("flush_timeout")
          @JsonSerialize(using = DurationJson.SecsNanosWriter.class)
          @JsonDeserialize(using = DurationJson.SecsNanosReader.class)
          Duration flushTimeout,
      @JsonProperty(value = "reject_write", required = true) boolean rejectWrite)
      implements Instruction {}

  /** Drops cache entries; the JSON body is the array of {@link CacheIdent}s. Never answered. */
  record InvalidateCaches(List<CacheIdent> caches) implements Instruction {
    public InvalidateCaches {
      caches = List.copyOf(caches);
    }
  }

  /** The instruction as GreptimeDB's serde writes it. */
  default String toJson() {
    return InstructionJson.write(this);
  }

  /**
   * Reads an instruction.
   *
   * @throws MalformedMessageException when the text is not one
   */
  static Instruction fromJson(String json) {
    return InstructionJson.read(json);
  }
}
