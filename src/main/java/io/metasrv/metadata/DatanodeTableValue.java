package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The value of {@code __dn_table/{datanode_id}/{table_id}}: the region numbers of the table that
 * the datanode leads and the table's {@link RegionInfo}, flattened into one object as GreptimeDB
 * writes it:
 *
 * <pre>{@code
 * {"table_id":1024,"regions":[1,2],"engine":"mito","region_storage_path":"greptime/public",
 *  "region_options":{...},"region_wal_options":{"1":"{\"wal.provider\":\"raft_engine\"}"},"version":0}
 * }</pre>
 *
 * {@code table_id}, {@code regions} and {@code version} are required; the region info fields
 * default to empty when missing. {@code region_wal_options} has number keys written as strings.
 */
public record DatanodeTableValue(
    @JsonProperty(value = "table_id", required = true) long tableId,
    @JsonProperty(value = "regions", required = true) List<Long> regions,
    @JsonProperty("engine") String engine,
    @JsonProperty("region_storage_path") String regionStoragePath,
    @JsonProperty("region_options") Map<String, String> regionOptions,
    @JsonProperty("region_wal_options") Map<Long, String> regionWalOptions,
    @JsonProperty(value = "version", required = true) long version) {

  public DatanodeTableValue {
    regions = List.copyOf(regions);
    engine = engine == null ? "" : engine;
    regionStoragePath = regionStoragePath == null ? "" : regionStoragePath;
    regionOptions = RegionInfo.ordered(regionOptions == null ? Map.of() : regionOptions);
    regionWalOptions = RegionInfo.ordered(regionWalOptions == null ? Map.of() : regionWalOptions);
  }

  /** A value as GreptimeDB creates it, at version 0. */
  public static DatanodeTableValue of(long tableId, List<Long> regions, RegionInfo regionInfo) {
    return new DatanodeTableValue(
        tableId,
        regions,
        regionInfo.engine(),
        regionInfo.regionStoragePath(),
        regionInfo.regionOptions(),
        regionInfo.regionWalOptions(),
        0);
  }

  public static DatanodeTableValue decode(byte[] json) {
    return SerdeJson.read(json, DatanodeTableValue.class, "DatanodeTableValue");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }

  public RegionInfo regionInfo() {
    return new RegionInfo(engine, regionStoragePath, regionOptions, regionWalOptions);
  }
}
