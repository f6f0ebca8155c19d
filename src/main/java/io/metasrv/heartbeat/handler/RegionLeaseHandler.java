package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.Stat;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.handler.DecodedTableRoutes.RegionRoutes;
import io.metasrv.kv.KvBackend;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the leases of the regions a datanode reports, as GreptimeDB's {@code
 * RegionLeaseHandler}: the role comes from the table route ({@code __table_route/{table_id}},
 * read through the leader cache, decoded once per stored value by {@link DecodedTableRoutes}),
 * never from what the datanode reports, except for regions a
 * procedure is operating on ({@link MemoryRegionKeeper}), whose reported role is echoed (or,
 * while the procedure changes the region's role, which the answer could undo, left out of the
 * lease altogether). The
 * route's leader gets {@code Leader} ({@code DowngradingLeader} while it is being downgraded),
 * its followers {@code Follower}; every other region (no route, a logical route, not in the
 * route, or on another node) is denied: listed in {@code closeable_region_ids} and dropped from
 * the recorded stats. The lease lasts 10 s from the datanode's own {@code
 * duration_since_epoch}, echoed.
 */
final class RegionLeaseHandler implements HeartbeatHandler {
  /** GreptimeDB's {@code REGION_LEASE_SECS}. */
  static final long REGION_LEASE_SECONDS = 10;

  private static final Logger log = LoggerFactory.getLogger(RegionLeaseHandler.class);
  /** How many denied regions one log line names. */
  private static final int DENIED_REGIONS_LOGGED = 10;

  private final KvBackend metadata;
  private final MemoryRegionKeeper keeper;
  private final DecodedTableRoutes decodedRoutes = new DecodedTableRoutes();
  private final GrantedRegionLeases granted;
  private final Counter denied;

  /**
   * Registers {@code metasrv.region.leases} (regions holding a lease this leader granted, on
   * {@code clockMillis}, the clock heartbeats are stamped with) and {@code
   * metasrv.region.leases.denied} (renewals refused: the region is told to close).
   */
  RegionLeaseHandler(KvBackend metadata, MemoryRegionKeeper keeper, MeterRegistry registry,
      LongSupplier clockMillis) {
    this.metadata = metadata;
    this.keeper = keeper;
    this.granted = new GrantedRegionLeases(REGION_LEASE_SECONDS * 1000);
    Gauge.builder("metasrv.region.leases", granted,
            g -> g.regionsUnderLease(clockMillis.getAsLong()))
        .description("Regions holding a lease granted by this leader that has not run out")
        .register(registry);
    this.denied = Counter.builder("metasrv.region.leases.denied")
        .description("Region lease renewals refused (the datanode is told to close the region)")
        .register(registry);
  }

  @Override
  public String name() {
    return "RegionLeaseHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.DATANODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    Optional<Stat> found = context.stat();
    if (found.isEmpty()) {
      return Flow.CONTINUE;
    }
    Stat stat = found.get();
    long datanodeId = stat.id();
    // One entry per region, as GreptimeDB's maps hold them: a region reported twice is granted or
    // denied once, with the role it was reported with last.
    Map<Long, RegionRole> reported = new LinkedHashMap<>();
    stat.regionStats().forEach(region -> reported.put(region.id(), region.role()));
    Set<Long> operating = keeper.operatingRegions(datanodeId, reported.keySet());
    Set<Long> changingRole = keeper.changingRoleRegions(datanodeId, operating);
    Map<Long, RegionRoutes> routes = tableRoutes(reported.keySet(), operating);

    RegionLease.Builder lease = RegionLease.newBuilder()
        .setDurationSinceEpoch(context.request().getDurationSinceEpoch())
        .setLeaseSeconds(REGION_LEASE_SECONDS);
    for (Map.Entry<Long, RegionRole> region : reported.entrySet()) {
      long regionId = region.getKey();
      if (changingRole.contains(regionId)) {
        continue;
      }
      Optional<RegionRole> granted = operating.contains(regionId)
          ? Optional.of(region.getValue())
          : grantedRole(routes.get(RegionId.tableId(regionId)), regionId, datanodeId);
      if (granted.isPresent()) {
        lease.addRegions(GrantedRegion.newBuilder().setRegionId(regionId)
            .setRole(granted.get()));
      } else {
        lease.addCloseableRegionIds(regionId);
        context.inactiveRegionIds().add(regionId);
      }
    }
    if (lease.getCloseableRegionIdsCount() > 0) {
      denied.increment(lease.getCloseableRegionIdsCount());
      logDenied(datanodeId, lease.getCloseableRegionIdsList());
    }
    granted.granted(datanodeId, lease.getRegionsCount(), context.receivedAtMillis());
    context.setRegionLease(lease.build());
    return Flow.CONTINUE;
  }

  /**
   * One line per heartbeat, not GreptimeDB's line per region: a datanode holding thousands of
   * regions its routes no longer name would write thousands every few seconds.
   */
  private static void logDenied(long datanodeId, List<Long> regionIds) {
    List<String> shown = regionIds.stream().limit(DENIED_REGIONS_LOGGED)
        .map(RegionId::display).toList();
    log.warn("Denied to renew region lease for datanode {}, {} region(s): {}{}",
        Long.toUnsignedString(datanodeId), regionIds.size(), String.join(", ", shown),
        regionIds.size() > shown.size() ? ", ..." : "");
  }

  private Map<Long, RegionRoutes> tableRoutes(Set<Long> reported, Set<Long> operating) {
    Set<Long> tableIds = new LinkedHashSet<>();
    for (long regionId : reported) {
      if (!operating.contains(regionId)) {
        tableIds.add(RegionId.tableId(regionId));
      }
    }
    if (tableIds.isEmpty()) {
      return Map.of();
    }
    List<byte[]> keys = tableIds.stream().map(id -> new TableRouteKey(id).toBytes()).toList();
    return decodedRoutes.routes(tableIds, metadata.batchGet(keys));
  }

  private static Optional<RegionRole> grantedRole(RegionRoutes routes, long regionId,
      long datanodeId) {
    if (routes == null) {
      return Optional.empty();
    }
    Optional<RegionRoute> regionRoute = routes.regionRoute(regionId);
    if (regionRoute.isEmpty()) {
      return Optional.empty();
    }
    if (regionRoute.get().ledBy(datanodeId)) {
      return Optional.of(regionRoute.get().leaderDowngrading() ? RegionRole.DowngradingLeader
          : RegionRole.Leader);
    }
    return regionRoute.get().followedBy(datanodeId) ? Optional.of(RegionRole.Follower)
        : Optional.empty();
  }
}
