package io.metasrv.heartbeat;

import io.metasrv.cluster.RegionStat;
import io.metasrv.cluster.Stat;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.ResponseHeader;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One heartbeat request on its way through the {@link HeartbeatHandlerChain}: the request,
 * when the leader received it, and what the handlers have decided so far (GreptimeDB's {@code
 * HeartbeatAccumulator}). Used by one thread at a time, and only for the one request.
 */
public final class HeartbeatContext {
  private final HeartbeatRequest request;
  private final List<RegionStat> regionStats;
  private final Role role;
  private final long receivedAtMillis;
  private ResponseHeader header;
  private RegionLease regionLease;
  private Stat stat;
  private final Set<Long> inactiveRegionIds = new HashSet<>();

  /**
   * @param receivedAtMillis the leader's wall clock when the request arrived; every timestamp
   *     the handlers store is this one
   */
  public HeartbeatContext(ParsedHeartbeat heartbeat, PusherKey pusherKey, long receivedAtMillis) {
    this.request = heartbeat.request();
    this.regionStats = heartbeat.regionStats();
    this.role = pusherKey.role();
    this.receivedAtMillis = receivedAtMillis;
  }

  /** The request without its region stats: {@link #regionStats}. */
  public HeartbeatRequest request() {
    return request;
  }

  /** The region stats of the request, in the order sent. */
  public List<RegionStat> regionStats() {
    return regionStats;
  }

  public Role role() {
    return role;
  }

  public long receivedAtMillis() {
    return receivedAtMillis;
  }

  /** A header-only request: the handshake every node sends first. */
  public boolean isHandshake() {
    return !request.hasPeer();
  }

  public void setHeader(ResponseHeader header) {
    this.header = header;
  }

  public Optional<ResponseHeader> header() {
    return Optional.ofNullable(header);
  }

  /** The datanode's stat, from a stat heartbeat (not a handshake, not a mailbox reply). */
  public Optional<Stat> stat() {
    return Optional.ofNullable(stat);
  }

  public void setStat(Stat stat) {
    this.stat = stat;
  }

  public void setRegionLease(RegionLease regionLease) {
    this.regionLease = regionLease;
  }

  public Optional<RegionLease> regionLease() {
    return Optional.ofNullable(regionLease);
  }

  /** Regions this datanode reported that it may not keep; their stats are not recorded. */
  public Set<Long> inactiveRegionIds() {
    return inactiveRegionIds;
  }

  /** The one answer to the request; mailbox messages are pushed separately. */
  public HeartbeatResponse response() {
    HeartbeatResponse.Builder response = HeartbeatResponse.newBuilder()
        .setHeader(header != null ? header : ResponseHeaders.ok());
    if (regionLease != null) {
      response.setRegionLease(regionLease);
    }
    return response.build();
  }
}
