package io.metasrv.procedure.migration;

import io.metasrv.metadata.Peer;
import io.metasrv.metadata.RegionId;
import java.time.Duration;
import java.util.Objects;

/**
 * What a region migration keeps across leaders (GreptimeDB's {@code PersistentContext}): the
 * region's catalog and schema (for the locks), the peers, the region and the time budget, written
 * as {@code {"catalog","schema","from_peer","to_peer","region_id","timeout":"<humantime>"}}.
 */
public record PersistentContext(
    String catalog, String schema, Peer fromPeer, Peer toPeer, long regionId, Duration timeout) {

  /** GreptimeDB's timeout when the persisted context has none. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  public PersistentContext {
    Objects.requireNonNull(catalog, "catalog");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(fromPeer, "fromPeer");
    Objects.requireNonNull(toPeer, "toPeer");
    Objects.requireNonNull(timeout, "timeout");
  }

  public long tableId() {
    return RegionId.tableId(regionId);
  }

  public long regionNumber() {
    return RegionId.regionNumber(regionId);
  }
}
