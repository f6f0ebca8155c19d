package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.RegionStat;
import io.metasrv.cluster.Stat;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.Role;
import java.util.List;
import java.util.Optional;

/**
 * Feeds the failure detectors, as GreptimeDB's {@code RegionFailureHandler}: every region of a
 * datanode's stat that kept its lease (after {@link FilterInactiveRegionStatsHandler}),
 * leader or follower, heartbeats at the time the leader received the stat.
 */
final class RegionFailureHandler implements HeartbeatHandler {
  private final RegionFailureDetectors detectors;

  RegionFailureHandler(RegionFailureDetectors detectors) {
    this.detectors = detectors;
  }

  @Override
  public String name() {
    return "RegionFailureHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.DATANODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    Optional<Stat> stat = context.stat();
    if (stat.isPresent()) {
      List<RegionStat> regions = stat.get().regionStats();
      long[] regionIds = new long[regions.size()];
      for (int i = 0; i < regionIds.length; i++) {
        regionIds[i] = regions.get(i).id();
      }
      detectors.heartbeat(stat.get().id(), regionIds, stat.get().timestampMillis());
    }
    return Flow.CONTINUE;
  }
}
