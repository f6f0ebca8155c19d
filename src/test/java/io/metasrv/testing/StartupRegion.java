package io.metasrv.testing;

import java.util.Map;

/**
 * A region a datanode opens at start-up, as GreptimeDB's {@code open_all_regions} builds its
 * {@code RegionOpenRequest} from a {@code __dn_table} value (d701c18150 {@code
 * src/datanode/src/datanode.rs}).
 *
 * @param regionDir {@code data/{region_storage_path}/{table_id}/{table_id}_{number:010}/}
 * @param options the value's {@code region_options}, plus {@code wal_options} from {@code
 *     region_wal_options} when it has the region's number
 */
public record StartupRegion(long regionId, String engine, String regionDir,
    Map<String, String> options) {}
