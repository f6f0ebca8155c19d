package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The route of a physical table: {@code {"type":"physical","region_routes":[...],"version":u64}}.
 * Every update writes the next {@code version}.
 */
public record PhysicalTableRouteValue(
    @JsonProperty(value = "region_routes", required = true) List<RegionRoute> regionRoutes,
    @JsonProperty(value = "version", required = true) long version)
    implements TableRouteValue {

  public PhysicalTableRouteValue {
    regionRoutes = List.copyOf(regionRoutes);
  }

  /** A new route at version 0. */
  public static PhysicalTableRouteValue of(List<RegionRoute> regionRoutes) {
    return new PhysicalTableRouteValue(regionRoutes, 0);
  }

  /** The route of one region, if the table has it. */
  public Optional<RegionRoute> regionRoute(long regionId) {
    return regionRoutes.stream().filter(route -> route.regionId() == regionId).findFirst();
  }

  /** The next version of this route, with {@code newRoutes}. */
  public PhysicalTableRouteValue update(List<RegionRoute> newRoutes) {
    return new PhysicalTableRouteValue(newRoutes, version + 1);
  }

  /**
   * This route with every peer's address replaced by the one in {@code addressByNodeId} (the {@code
   * __node_address/0/{id}} values), as GreptimeDB's readers do; peers without an entry keep theirs.
   * The version is unchanged: this is a view for readers, never a value to store.
   */
  public PhysicalTableRouteValue withAddresses(Map<Long, String> addressByNodeId) {
    List<RegionRoute> routes =
        regionRoutes.stream().map(route -> withAddresses(route, addressByNodeId)).toList();
    return new PhysicalTableRouteValue(routes, version);
  }

  private static RegionRoute withAddresses(RegionRoute route, Map<Long, String> addressByNodeId) {
    return new RegionRoute(
        route.region(),
        remap(route.leaderPeer(), addressByNodeId),
        route.followerPeers().stream().map(peer -> remap(peer, addressByNodeId)).toList(),
        route.leaderState(),
        route.leaderDownSince());
  }

  private static Peer remap(Peer peer, Map<Long, String> addressByNodeId) {
    if (peer == null) {
      return null;
    }
    String addr = addressByNodeId.get(peer.id());
    return addr == null ? peer : new Peer(peer.id(), addr);
  }
}
