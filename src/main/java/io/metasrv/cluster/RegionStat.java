package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.UnsignedLongJson.U64;
import io.metasrv.protocol.RegionRole;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One region's statistics in a {@link Stat}, every field required, in GreptimeDB's order. {@code
 * role} is the role the datanode reported, written {@code "Leader"}, {@code "Follower"} or {@code
 * "DowngradingLeader"}. The last six fields come from the {@code __region_statistic} extension of
 * the heartbeat's region stat.
 */
public record RegionStat(
    @JsonProperty(value = "id", required = true) @U64 long id,
    @JsonProperty(value = "rcus", required = true) long rcus,
    @JsonProperty(value = "wcus", required = true) long wcus,
    @JsonProperty(value = "approximate_bytes", required = true) long approximateBytes,
    @JsonProperty(value = "engine", required = true) String engine,
    @JsonProperty(value = "role", required = true) RegionRole role,
    @JsonProperty(value = "num_rows", required = true) long numRows,
    @JsonProperty(value = "memtable_size", required = true) long memtableSize,
    @JsonProperty(value = "manifest_size", required = true) long manifestSize,
    @JsonProperty(value = "sst_size", required = true) long sstSize,
    @JsonProperty(value = "index_size", required = true) long indexSize,
    @JsonProperty(value = "manifest_version", required = true) long manifestVersion) {

  /** The extension of a heartbeat's region stat that holds the region statistic JSON. */
  public static final String REGION_STATISTIC_KEY = "__region_statistic";

  // The fields of GreptimeDB's RegionStatistic read, as indexes into what they are read to
  // (wal_size, at 2, is checked but not kept).
  private static final int NUM_ROWS = 0;
  private static final int MEMTABLE_SIZE = 1;
  private static final int MANIFEST_SIZE = 3;
  private static final int SST_SIZE = 4;
  private static final int INDEX_SIZE = 5;
  private static final int MANIFEST_VERSION = 6;
  private static final String[] STATISTIC_FIELDS = {"num_rows", "memtable_size", "wal_size",
      "manifest_size", "sst_size", "index_size", "manifest_version"};
  private static final byte[][] STATISTIC_FIELD_BYTES = Arrays.stream(STATISTIC_FIELDS)
      .map(name -> name.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
  private static final boolean[] STATISTIC_FIELD_REQUIRED =
      {false, true, true, true, true, false, false};
  private static final long[] ABSENT_STATISTIC = new long[STATISTIC_FIELDS.length];

  public RegionStat {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(role, "role");
    if (role == RegionRole.UNRECOGNIZED) {
      throw new IllegalArgumentException("unknown region role");
    }
  }

  /**
   * The stat of a region as GreptimeDB's leader builds it from a heartbeat: an unknown role is read
   * as Leader (prost's default), and a missing or undecodable {@code __region_statistic} extension
   * gives zeros.
   */
  public static RegionStat fromProto(io.metasrv.protocol.RegionStat proto) {
    RegionRole role =
        proto.getRole() == RegionRole.UNRECOGNIZED ? RegionRole.Leader : proto.getRole();
    long[] statistic = regionStatistic(proto.getExtensionsMap().get(REGION_STATISTIC_KEY));
    return new RegionStat(
        proto.getRegionId(),
        proto.getRcus(),
        proto.getWcus(),
        proto.getApproximateBytes(),
        proto.getEngine(),
        role,
        statistic[NUM_ROWS],
        statistic[MEMTABLE_SIZE],
        statistic[MANIFEST_SIZE],
        statistic[SST_SIZE],
        statistic[INDEX_SIZE],
        statistic[MANIFEST_VERSION]);
  }

  /**
   * GreptimeDB's {@code RegionStatistic}: {@code memtable_size}, {@code wal_size}, {@code
   * manifest_size} and {@code sst_size} are required unsigned integers, the others default to 0.
   * Anything else makes the whole statistic count as absent (all zeros). Indexed by the field
   * constants above; the array returned for an absent statistic is shared and must not change.
   *
   * <p>Every datanode sends one per region in every heartbeat, as serde_json writes the struct:
   * a flat object of unsigned integers. That form is read by {@link FlatUnsignedJson} without
   * building a tree; anything else is read as a tree.
   */
  private static long[] regionStatistic(ByteString json) {
    if (json == null) {
      return ABSENT_STATISTIC;
    }
    long[] values = new long[STATISTIC_FIELDS.length];
    boolean[] present = new boolean[STATISTIC_FIELDS.length];
    if (!FlatUnsignedJson.read(json, STATISTIC_FIELD_BYTES, values, present)) {
      return regionStatisticFromTree(json);
    }
    for (int field = 0; field < STATISTIC_FIELDS.length; field++) {
      if (STATISTIC_FIELD_REQUIRED[field] && !present[field]) {
        return ABSENT_STATISTIC;
      }
    }
    return values;
  }

  private static long[] regionStatisticFromTree(ByteString json) {
    JsonNode tree;
    try {
      tree = SerdeJson.MAPPER.readTree(json.toByteArray());
    } catch (IOException e) {
      return ABSENT_STATISTIC;
    }
    if (tree == null || !tree.isObject()) {
      return ABSENT_STATISTIC;
    }
    long[] values = new long[STATISTIC_FIELDS.length];
    for (int field = 0; field < STATISTIC_FIELDS.length; field++) {
      JsonNode value = tree.get(STATISTIC_FIELDS[field]);
      if (value == null && !STATISTIC_FIELD_REQUIRED[field]) {
        continue;
      }
      if (!unsigned(value)) {
        return ABSENT_STATISTIC;
      }
      values[field] = value.longValue();
    }
    return values;
  }

  private static boolean unsigned(JsonNode value) {
    return value != null
        && value.isIntegralNumber()
        && value.canConvertToLong()
        && value.longValue() >= 0;
  }
}
