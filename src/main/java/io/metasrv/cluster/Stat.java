package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.type.TypeReference;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.UnsignedLongJson;
import io.metasrv.metadata.UnsignedLongJson.U64;
import io.metasrv.protocol.HeartbeatRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  public Stat {
    Objects.requireNonNull(addr, "addr");
    regionStats = List.copyOf(regionStats);
  }

  /**
   * The stat of a heartbeat, received at {@code nowMillis} on the leader's clock: id and address
   * from the peer, capacity units summed over the regions. Empty for a request without header or
   * peer (the handshake).
   */
  public static Optional<Stat> fromRequest(HeartbeatRequest request, long nowMillis) {
    if (!request.hasHeader() || !request.hasPeer()) {
      return Optional.empty();
    }
    List<RegionStat> regions =
        request.getRegionStatsList().stream().map(RegionStat::fromProto).toList();
    return Optional.of(
        new Stat(
            nowMillis,
            request.getPeer().getId(),
            request.getPeer().getAddr(),
            regions.stream().mapToLong(RegionStat::rcus).sum(),
            regions.stream().mapToLong(RegionStat::wcus).sum(),
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
   * writes the list, written field by field rather than through the mapper's reflection: the
   * leader writes one for every datanode every {@code flush_stats_factor} heartbeats, a hundred
   * region stats or more each.
   */
  public static byte[] encodeAll(List<Stat> stats) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 256 * stats.size()
        * (stats.isEmpty() ? 0 : stats.get(0).regionStats().size()));
    try (JsonGenerator json = SerdeJson.MAPPER.createGenerator(out)) {
      json.writeStartArray();
      for (Stat stat : stats) {
        stat.write(json);
      }
      json.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode DatanodeStatValue", e);
    }
    return out.toByteArray();
  }

  private void write(JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeNumberField("timestamp_millis", timestampMillis);
    json.writeFieldName("id");
    writeUnsigned(json, id);
    json.writeStringField("addr", addr);
    json.writeNumberField("rcus", rcus);
    json.writeNumberField("wcus", wcus);
    json.writeNumberField("region_num", regionNum);
    json.writeArrayFieldStart("region_stats");
    for (RegionStat region : regionStats) {
      json.writeStartObject();
      json.writeFieldName("id");
      writeUnsigned(json, region.id());
      json.writeNumberField("rcus", region.rcus());
      json.writeNumberField("wcus", region.wcus());
      json.writeNumberField("approximate_bytes", region.approximateBytes());
      json.writeStringField("engine", region.engine());
      json.writeStringField("role", region.role().name());
      json.writeNumberField("num_rows", region.numRows());
      json.writeNumberField("memtable_size", region.memtableSize());
      json.writeNumberField("manifest_size", region.manifestSize());
      json.writeNumberField("sst_size", region.sstSize());
      json.writeNumberField("index_size", region.indexSize());
      json.writeNumberField("manifest_version", region.manifestVersion());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeNumberField("node_epoch", nodeEpoch);
    json.writeEndObject();
  }

  private static void writeUnsigned(JsonGenerator json, long value) throws IOException {
    if (value >= 0) {
      json.writeNumber(value);
    } else {
      json.writeNumber(UnsignedLongJson.toBigInteger(value));
    }
  }

  public static List<Stat> decodeAll(byte[] json) {
    try {
      return List.copyOf(SerdeJson.MAPPER.readValue(json, LIST));
    } catch (IOException | RuntimeException e) {
      throw new InvalidMetadataException("cannot decode DatanodeStatValue: " + e.getMessage());
    }
  }
}
