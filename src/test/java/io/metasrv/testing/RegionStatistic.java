package io.metasrv.testing;

/**
 * What a datanode reports of a region beside its id and role: GreptimeDB's {@code
 * RegionStatistic} (store-api {@code region_engine.rs}), sent as JSON in the region stat's
 * {@code __region_statistic} extension, its disk sizes summed into {@code approximate_bytes}.
 */
public record RegionStatistic(long numRows, long memtableSize, long walSize, long manifestSize,
    long sstSize, long indexSize, long manifestVersion) {
  public static final RegionStatistic EMPTY = new RegionStatistic(0, 0, 0, 0, 0, 0, 0);

  /** {@code estimated_disk_size}: WAL, SST, manifest and index bytes. */
  public long approximateBytes() {
    return walSize + sstSize + manifestSize + indexSize;
  }

  /** serde_json's output for the struct: fields in declaration order, no spaces. */
  String json() {
    return "{\"num_rows\":" + Long.toUnsignedString(numRows)
        + ",\"memtable_size\":" + Long.toUnsignedString(memtableSize)
        + ",\"wal_size\":" + Long.toUnsignedString(walSize)
        + ",\"manifest_size\":" + Long.toUnsignedString(manifestSize)
        + ",\"sst_size\":" + Long.toUnsignedString(sstSize)
        + ",\"index_size\":" + Long.toUnsignedString(indexSize)
        + ",\"manifest_version\":" + Long.toUnsignedString(manifestVersion) + "}";
  }
}
