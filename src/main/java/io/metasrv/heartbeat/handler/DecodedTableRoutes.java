package io.metasrv.heartbeat.handler;

import io.metasrv.kv.KeyValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.protocol.RegionRole;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
   * What a lease needs of one table's region routes: each region's leader, whether it is being
   * downgraded, and its followers, in arrays sorted by region id (a few bytes a region, not the
   * decoded route's objects: the leader keeps one of these for every table). Empty for a logical
   * table, whose regions belong to a physical table's route.
   */
  static final class RegionRoutes {
    private static final long[] NO_FOLLOWERS = new long[0];
    private static final byte HAS_LEADER = 1;
    private static final byte DOWNGRADING = 2;

    private final byte[] raw;
    private final long[] regionIds;
    private final long[] leaderIds;
    private final byte[] leaderFlags;
    private final long[][] followerIds;

    private RegionRoutes(byte[] raw, List<RegionRoute> routes) {
      this.raw = raw;
      // The first route of a region wins, as PhysicalTableRouteValue.regionRoute finds it: a
      // stable sort keeps it first among its equals.
      List<RegionRoute> sorted = new ArrayList<>(routes);
      sorted.sort(Comparator.comparingLong(RegionRoute::regionId));
      int distinct = 0;
      for (int i = 0; i < sorted.size(); i++) {
        if (i == 0 || sorted.get(i).regionId() != sorted.get(i - 1).regionId()) {
          sorted.set(distinct++, sorted.get(i));
        }
      }
      regionIds = new long[distinct];
      leaderIds = new long[distinct];
      leaderFlags = new byte[distinct];
      followerIds = new long[distinct][];
      for (int i = 0; i < distinct; i++) {
        RegionRoute route = sorted.get(i);
        regionIds[i] = route.regionId();
        if (route.leaderPeer() != null) {
          leaderIds[i] = route.leaderPeer().id();
          leaderFlags[i] = (byte) (HAS_LEADER | (route.leaderDowngrading() ? DOWNGRADING : 0));
        }
        followerIds[i] = route.followerPeers().isEmpty() ? NO_FOLLOWERS
            : route.followerPeers().stream().mapToLong(Peer::id).toArray();
      }
    }

    static RegionRoutes decode(byte[] raw) {
      // Not copied: stored values are immutable, and the same array comes back from the leader
      // cache until the key is written, which makes the comparison an identity check.
      return new RegionRoutes(raw,
          TableRouteValue.decode(raw) instanceof PhysicalTableRouteValue physical
              ? physical.regionRoutes() : List.of());
    }

    /**
     * The role the route gives {@code datanodeId} for {@code regionId} (GreptimeDB's lease
     * roles): {@code Leader} or, while it is being downgraded, {@code DowngradingLeader} for the
     * region's leader, {@code Follower} for a follower; null when the route does not name the
     * region on that datanode.
     */
    RegionRole roleOf(long regionId, long datanodeId) {
      int i = Arrays.binarySearch(regionIds, regionId);
      if (i < 0) {
        return null;
      }
      if ((leaderFlags[i] & HAS_LEADER) != 0 && leaderIds[i] == datanodeId) {
        return (leaderFlags[i] & DOWNGRADING) != 0 ? RegionRole.DowngradingLeader
            : RegionRole.Leader;
      }
      for (long follower : followerIds[i]) {
        if (follower == datanodeId) {
          return RegionRole.Follower;
        }
      }
      return null;
    }

    private boolean decodedFrom(byte[] value) {
      return value == raw || Arrays.equals(value, raw);
    }
  }
}
