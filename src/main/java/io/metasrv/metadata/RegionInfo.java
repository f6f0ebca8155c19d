package io.metasrv.metadata;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a datanode needs to open a table's regions: engine, storage path ({@code
 * "{catalog}/{schema}"}), region options, and the WAL options of every region of the table by
 * region number (each an encoded WAL options JSON text). Maps keep the order they were read or
 * given in: GreptimeDB writes them from hash maps, so no order is canonical.
 */
public record RegionInfo(
    String engine,
    String regionStoragePath,
    Map<String, String> regionOptions,
    Map<Long, String> regionWalOptions) {

  public RegionInfo {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(regionStoragePath, "regionStoragePath");
    regionOptions = ordered(regionOptions);
    regionWalOptions = ordered(regionWalOptions);
  }

  static <K> Map<K, String> ordered(Map<K, String> map) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }
}
