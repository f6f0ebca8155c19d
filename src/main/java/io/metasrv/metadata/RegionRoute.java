package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * Where one region lives: its leader, its followers and the leader's state. JSON in GreptimeDB's
 * order: {@code region}, {@code leader_peer} (null when none), {@code follower_peers}, {@code
 * leader_state} (left out when none; read also from the legacy field {@code leader_status}), {@code
 * leader_down_since} (milliseconds, null when none; may be missing in old values).
 */
public record RegionRoute(
    @JsonProperty(value = "region", required = true) Region region,
    @JsonProperty("leader_peer") Peer leaderPeer,
    @JsonProperty(value = "follower_peers", required = true) List<Peer> followerPeers,
    @JsonProperty("leader_state")
        @JsonAlias("leader_status")
        @JsonInclude(JsonInclude.Include.NON_NULL)
        LeaderState leaderState,
    @JsonProperty("leader_down_since") Long leaderDownSince) {

  public RegionRoute {
    Objects.requireNonNull(region, "region");
    followerPeers = List.copyOf(followerPeers);
  }

  /** A route with a leader, no followers and no leader state. */
  public static RegionRoute led(Region region, Peer leader) {
    return new RegionRoute(region, leader, List.of(), null, null);
  }

  public long regionId() {
    return region.id();
  }

  /** Whether the leader is being downgraded (its lease is then DowngradingLeader). */
  public boolean leaderDowngrading() {
    return leaderState == LeaderState.DOWNGRADING;
  }

  /** Whether {@code datanodeId} is the leader of this region. */
  public boolean ledBy(long datanodeId) {
    return leaderPeer != null && leaderPeer.id() == datanodeId;
  }

  /** Whether {@code datanodeId} is one of this region's followers. */
  public boolean followedBy(long datanodeId) {
    return followerPeers.stream().anyMatch(peer -> peer.id() == datanodeId);
  }

  /** This route with the leader marked downgrading since {@code nowMillis}. */
  public RegionRoute downgradingSince(long nowMillis) {
    return new RegionRoute(region, leaderPeer, followerPeers, LeaderState.DOWNGRADING, nowMillis);
  }

  /** This route with the leader state and its start time cleared. */
  public RegionRoute withoutLeaderState() {
    return new RegionRoute(region, leaderPeer, followerPeers, null, null);
  }
}
