package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.UnsignedLongJson.U64;
import io.metasrv.protocol.HeartbeatRequest;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a datanode reported in one heartbeat, as the leader keeps it. Every field is required and
 * written in GreptimeDB's order. The value of {@code __meta_datanode_stat-0-{id}} is a bare JSON
 * array of these ({@link #encodeAll}, {@link #decodeAll}); readers take the last one.
 */
public record Stat(
    @JsonProperty(value = "timestamp_millis", required = true) long timestampMillis,
    @JsonProperty(value = "id", required = true) @U64 long id,
    @JsonProperty(value = "addr", required = true) String addr,
    @JsonProperty(value = "rcus", required = true) long rcus,
    @JsonProperty(value = "wcus", required = true) long wcus,
    @JsonProperty(value = "region_num", required = true) long regionNum,
    @JsonProperty(value = "region_stats", required = true) List<RegionStat> regionStats,
    @JsonProperty(value = "node_epoch", required = true) long nodeEpoch) {

  private static final TypeReference<List<Stat>> LIST = new TypeReference<>() {};
  // Field names as encodeAll writes them.
  private static final byte[] TIMESTAMP_MILLIS = JsonBytes.name("timestamp_millis");
  private static final byte[] ID = JsonBytes.name("id");
  private static final byte[] ADDR = JsonBytes.name("addr");
  private static final byte[] RCUS = JsonBytes.name("rcus");
  private static final byte[] WCUS = JsonBytes.name("wcus");
  private static final byte[] REGION_NUM = JsonBytes.name("region_num");
  private static final byte[] REGION_STATS = JsonBytes.name("region_stats");
  private static final byte[] NODE_EPOCH = JsonBytes.name("node_epoch");
  private static final byte[] APPROXIMATE_BYTES = JsonBytes.name("approximate_bytes");
  private static final byte[] ENGINE = JsonBytes.name("engine");
  private static final byte[] ROLE = JsonBytes.name("role");
  private static final byte[] NUM_ROWS = JsonBytes.name("num_rows");
  private static final byte[] MEMTABLE_SIZE = JsonBytes.name("memtable_size");
  private static final byte[] MANIFEST_SIZE = JsonBytes.name("manifest_size");
  private static final byte[] SST_SIZE = JsonBytes.name("sst_size");
  private static final byte[] INDEX_SIZE = JsonBytes.name("index_size");
  private static final byte[] MANIFEST_VERSION = JsonBytes.name("manifest_version");

  public Stat {
    Objects.requireNonNull(addr, "addr");
    regionStats = List.copyOf(regionStats);
  }

  /**
   * The stat of a heartbeat, received at {@code nowMillis} on the leader's clock: id and address
   * from the peer, capacity units summed over the regions. Empty for a request without header or
   * peer (the handshake).
   *
   * @param regions the request's region stats, as {@link RegionStat.Reader} reads them
   */
  public static Optional<Stat> fromRequest(HeartbeatRequest request, List<RegionStat> regions,
      long nowMillis) {
    if (!request.hasHeader() || !request.hasPeer()) {
      return Optional.empty();
    }
    long rcus = 0;
    long wcus = 0;
    for (RegionStat region : regions) {
      rcus += region.rcus();
      wcus += region.wcus();
    }
    return Optional.of(
        new Stat(
            nowMillis,
            request.getPeer().getId(),
            request.getPeer().getAddr(),
            rcus,
            wcus,
            regions.size(),
            regions,
            request.getNodeEpoch()));
  }

  /** This stat without the given regions, capacity units and region count recomputed. */
  public Stat withoutRegions(Set<Long> regionIds) {
    if (regionIds.isEmpty()) {
      return this;
    }
    List<RegionStat> kept =
        regionStats.stream().filter(region -> !regionIds.contains(region.id())).toList();
    return new Stat(
        timestampMillis,
        id,
        addr,
        kept.stream().mapToLong(RegionStat::rcus).sum(),
        kept.stream().mapToLong(RegionStat::wcus).sum(),
        kept.size(),
        kept,
        nodeEpoch);
  }

  /** The ids of the tables the reported regions belong to, in report order. */
  public Set<Long> tableIds() {
    Set<Long> tables = new LinkedHashSet<>();
    regionStats.forEach(region -> tables.add(RegionId.tableId(region.id())));
    return tables;
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }

  public static Stat decode(byte[] json) {
    return SerdeJson.read(json, Stat.class, "Stat");
  }

  /**
   * The value of a datanode stat key: a JSON array of stats, exactly as {@link SerdeJson#write}
   * writes the list, written token by token ({@link JsonBytes}) rather than through the mapper:
   * the leader writes one for every datanode every {@code flush_stats_factor} heartbeats, a
   * hundred region stats or more each.
   */
  public static byte[] encodeAll(List<Stat> stats) {
    int regions = stats.stream().mapToInt(stat -> stat.regionStats().size()).sum();
    JsonBytes json = new JsonBytes(2 + 160 * stats.size() + 260 * regions);
    json.raw('[');
    for (int i = 0; i < stats.size(); i++) {
      if (i > 0) {
        json.raw(',');
      }
      stats.get(i).write(json);
    }
    return json.raw(']').toByteArray();
  }

  /** Fields in declaration order, GreptimeDB's. */
  private void write(JsonBytes json) {
    json.raw('{').raw(TIMESTAMP_MILLIS).number(timestampMillis)
        .raw(',').raw(ID).unsigned(id)
        .raw(',').raw(ADDR).string(addr)
        .raw(',').raw(RCUS).number(rcus)
        .raw(',').raw(WCUS).number(wcus)
        .raw(',').raw(REGION_NUM).number(regionNum)
        .raw(',').raw(REGION_STATS).raw('[');
    for (int i = 0; i < regionStats.size(); i++) {
      RegionStat region = regionStats.get(i);
      if (i > 0) {
        json.raw(',');
      }
      json.raw('{').raw(ID).unsigned(region.id())
          .raw(',').raw(RCUS).number(region.rcus())
          .raw(',').raw(WCUS).number(region.wcus())
          .raw(',').raw(APPROXIMATE_BYTES).number(region.approximateBytes())
          .raw(',').raw(ENGINE).string(region.engine())
          .raw(',').raw(ROLE).string(region.role().name())
          .raw(',').raw(NUM_ROWS).number(region.numRows())
          .raw(',').raw(MEMTABLE_SIZE).number(region.memtableSize())
          .raw(',').raw(MANIFEST_SIZE).number(region.manifestSize())
          .raw(',').raw(SST_SIZE).number(region.sstSize())
          .raw(',').raw(INDEX_SIZE).number(region.indexSize())
          .raw(',').raw(MANIFEST_VERSION).number(region.manifestVersion())
          .raw('}');
    }
    json.raw(']').raw(',').raw(NODE_EPOCH).number(nodeEpoch).raw('}');
  }

  public static List<Stat> decodeAll(byte[] json) {
    try {
      return List.copyOf(SerdeJson.MAPPER.readValue(json, LIST));
    } catch (IOException | RuntimeException e) {
      throw new InvalidMetadataException("cannot decode DatanodeStatValue: " + e.getMessage());
    }
  }
}
