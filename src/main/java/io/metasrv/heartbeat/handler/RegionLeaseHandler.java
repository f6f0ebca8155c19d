package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.RegionStat;
import io.metasrv.cluster.Stat;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.handler.DecodedTableRoutes.RegionRoutes;
import io.metasrv.kv.KvBackend;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
    Reported reported = Reported.of(stat.regionStats());
    // Null while no procedure is operating on any region, as most of the time.
    boolean[] operating = keeper.isEmpty() ? null : new boolean[reported.count];
    if (operating != null) {
      for (int i = 0; i < reported.count; i++) {
        operating[i] = keeper.contains(datanodeId, reported.regionIds[i]);
      }
    }
    Map<Long, RegionRoutes> routes = tableRoutes(reported, operating);

    RegionLease.Builder lease = RegionLease.newBuilder()
        .setDurationSinceEpoch(context.request().getDurationSinceEpoch())
        .setLeaseSeconds(REGION_LEASE_SECONDS);
    GrantedRegion.Builder grant = GrantedRegion.newBuilder();
    long routesTableId = 0;
    RegionRoutes tableRoutes = null;
    for (int i = 0; i < reported.count; i++) {
      long regionId = reported.regionIds[i];
      RegionRole role;
      if (operating != null && operating[i]) {
        if (keeper.isChangingRole(datanodeId, regionId)) {
          continue;
        }
        role = reported.roles[i];
      } else {
        long tableId = RegionId.tableId(regionId);
        if (tableRoutes == null || tableId != routesTableId) {
          routesTableId = tableId;
          tableRoutes = routes.get(tableId);
        }
        role = tableRoutes == null ? null : tableRoutes.roleOf(regionId, datanodeId);
      }
      if (role != null) {
        lease.addRegions(grant.setRegionId(regionId).setRole(role));
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

  /** @param operating which reported regions a procedure operates on; null for none */
  private Map<Long, RegionRoutes> tableRoutes(Reported reported, boolean[] operating) {
    Set<Long> tableIds = new LinkedHashSet<>();
    long previous = 0;
    for (int i = 0; i < reported.count; i++) {
      long tableId = RegionId.tableId(reported.regionIds[i]);
      boolean operatingOn = operating != null && operating[i];
      if (!operatingOn && (tableIds.isEmpty() || tableId != previous)) {
        tableIds.add(tableId);
        previous = tableId;
      }
    }
    if (tableIds.isEmpty()) {
      return Map.of();
    }
    List<byte[]> keys = new ArrayList<>(tableIds.size());
    tableIds.forEach(id -> keys.add(new TableRouteKey(id).toBytes()));
    return decodedRoutes.routes(tableIds, metadata.batchGet(keys));
  }

  /**
   * The regions of a stat, one entry per region as GreptimeDB's maps hold them: a region
   * reported twice is granted or denied once, at its first place, with the role it was reported
   * with last.
   */
  private static final class Reported {
    final long[] regionIds;
    final RegionRole[] roles;
    final int count;

    private Reported(long[] regionIds, RegionRole[] roles, int count) {
      this.regionIds = regionIds;
      this.roles = roles;
      this.count = count;
    }

    static Reported of(List<RegionStat> regions) {
      int size = regions.size();
      long[] regionIds = new long[size];
      RegionRole[] roles = new RegionRole[size];
      for (int i = 0; i < size; i++) {
        regionIds[i] = regions.get(i).id();
        roles[i] = regions.get(i).role();
      }
      long[] sorted = regionIds.clone();
      Arrays.sort(sorted);
      for (int i = 1; i < size; i++) {
        if (sorted[i] == sorted[i - 1]) {
          return withoutRepeats(regionIds, roles);
        }
      }
      return new Reported(regionIds, roles, size);
    }

    private static Reported withoutRepeats(long[] regionIds, RegionRole[] roles) {
      Map<Long, Integer> placeOf = new HashMap<>();
      int count = 0;
      for (int i = 0; i < regionIds.length; i++) {
        Integer place = placeOf.get(regionIds[i]);
        if (place == null) {
          placeOf.put(regionIds[i], count);
          regionIds[count] = regionIds[i];
          roles[count++] = roles[i];
        } else {
          roles[place] = roles[i];
        }
      }
      return new Reported(regionIds, roles, count);
    }
  }
}
