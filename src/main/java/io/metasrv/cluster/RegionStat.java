package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.google.protobuf.ByteString;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.UnsignedLongJson.U64;
import io.metasrv.protocol.RegionRole;
import java.io.IOException;
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
    JsonNode statistic = regionStatistic(proto.getExtensionsMap().get(REGION_STATISTIC_KEY));
    return new RegionStat(
        proto.getRegionId(),
        proto.getRcus(),
        proto.getWcus(),
        proto.getApproximateBytes(),
        proto.getEngine(),
        role,
        statistic.path("num_rows").asLong(0),
        statistic.path("memtable_size").asLong(0),
        statistic.path("manifest_size").asLong(0),
        statistic.path("sst_size").asLong(0),
        statistic.path("index_size").asLong(0),
        statistic.path("manifest_version").asLong(0));
  }

  /**
   * GreptimeDB's {@code RegionStatistic}: {@code memtable_size}, {@code wal_size}, {@code
   * manifest_size} and {@code sst_size} are required unsigned integers, the others default to 0.
   * Anything else makes the whole statistic count as absent.
   */
  private static JsonNode regionStatistic(ByteString json) {
    if (json == null) {
      return MissingNode.getInstance();
    }
    JsonNode tree;
    try {
      tree = SerdeJson.MAPPER.readTree(json.toByteArray());
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
    if (tree == null || !tree.isObject()) {
      return MissingNode.getInstance();
    }
    for (String field : new String[] {"memtable_size", "wal_size", "manifest_size", "sst_size"}) {
      if (!unsigned(tree.get(field))) {
        return MissingNode.getInstance();
      }
    }
    for (String field : new String[] {"num_rows", "index_size", "manifest_version"}) {
      if (tree.has(field) && !unsigned(tree.get(field))) {
        return MissingNode.getInstance();
      }
    }
    return tree;
  }

  private static boolean unsigned(JsonNode value) {
    return value != null
        && value.isIntegralNumber()
        && value.canConvertToLong()
        && value.longValue() >= 0;
  }
}
