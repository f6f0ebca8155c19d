package io.metasrv.heartbeat.handler;

import io.metasrv.kv.KeyValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The table routes {@link RegionLeaseHandler} reads, decoded once per stored value: every
 * heartbeat of a datanode holding a hundred regions would otherwise decode the same route JSON
 * and search its region list once per region. An entry keeps the bytes it was decoded from and
 * is reused only while the store hands back identical bytes, so a changed route is seen on the
 * first heartbeat that reads it. Tables whose route is gone are dropped when next asked for.
 */
final class DecodedTableRoutes {
  private final Map<Long, RegionRoutes> byTableId = new ConcurrentHashMap<>();

  /**
   * The routes of {@code tableIds}, decoding only the values that changed since they were last
   * decoded.
   *
   * @param read the {@code __table_route/{table_id}} key-values the store holds for {@code
   *     tableIds}; tables without one have no route
   */
  Map<Long, RegionRoutes> routes(Collection<Long> tableIds, Collection<KeyValue> read) {
    Map<Long, RegionRoutes> routes = new HashMap<>();
    for (KeyValue entry : read) {
      long tableId = TableRouteKey.parse(entry.key()).tableId();
      routes.put(tableId, byTableId.compute(tableId, (id, cached) ->
          cached != null && cached.decodedFrom(entry.value()) ? cached
              : RegionRoutes.decode(entry.value())));
    }
    for (long tableId : tableIds) {
      if (!routes.containsKey(tableId)) {
        byTableId.remove(tableId);
      }
    }
    return routes;
  }

  /**
   * One table's region routes by region id; empty for a logical table, whose regions belong to
   * a physical table's route.
   */
  static final class RegionRoutes {
    private final byte[] raw;
    private final Map<Long, RegionRoute> byRegionId;

    private RegionRoutes(byte[] raw, Map<Long, RegionRoute> byRegionId) {
      this.raw = raw;
      this.byRegionId = byRegionId;
    }

    static RegionRoutes decode(byte[] raw) {
      Map<Long, RegionRoute> byRegionId = new HashMap<>();
      if (TableRouteValue.decode(raw) instanceof PhysicalTableRouteValue physical) {
        // The first route of a region wins, as PhysicalTableRouteValue.regionRoute finds it.
        physical.regionRoutes().forEach(route -> byRegionId.putIfAbsent(route.regionId(), route));
      }
      // Not copied: stored values are immutable, and the same array comes back from the leader
      // cache until the key is written, which makes the comparison an identity check.
      return new RegionRoutes(raw, Map.copyOf(byRegionId));
    }

    /** The route of {@code regionId}, if this is a physical table's route naming it. */
    Optional<RegionRoute> regionRoute(long regionId) {
      return Optional.ofNullable(byRegionId.get(regionId));
    }

    private boolean decodedFrom(byte[] value) {
      return value == raw || Arrays.equals(value, raw);
    }
  }
}
