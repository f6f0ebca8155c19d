package io.metasrv.heartbeat.handler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many regions hold a lease this leader granted and that has not run out: per datanode, the
 * number of regions its last lease renewal granted and when. A datanode whose last grant is
 * older than the lease holds none any more.
 */
final class GrantedRegionLeases {
  private final long leaseMillis;
  private final Map<Long, Grant> lastGrant = new ConcurrentHashMap<>();

  GrantedRegionLeases(long leaseMillis) {
    this.leaseMillis = leaseMillis;
  }

  void granted(long datanodeId, int regions, long atMillis) {
    lastGrant.put(datanodeId, new Grant(regions, atMillis));
  }

  /** Regions under a lease at {@code nowMillis}; forgets datanodes whose leases ran out. */
  long regionsUnderLease(long nowMillis) {
    lastGrant.values().removeIf(grant -> nowMillis - grant.atMillis >= leaseMillis);
    return lastGrant.values().stream().mapToLong(Grant::regions).sum();
  }

  private record Grant(int regions, long atMillis) {}
}
