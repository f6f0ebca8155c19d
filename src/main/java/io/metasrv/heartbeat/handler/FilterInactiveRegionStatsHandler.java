package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Drops the stats of regions whose lease was denied, so they are not recorded. */
final class FilterInactiveRegionStatsHandler implements HeartbeatHandler {
  private static final Logger log =
      LoggerFactory.getLogger(FilterInactiveRegionStatsHandler.class);

  @Override
  public String name() {
    return "FilterInactiveRegionStatsHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.DATANODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (context.inactiveRegionIds().isEmpty() || context.stat().isEmpty()) {
      return Flow.CONTINUE;
    }
    log.warn("datanode {} reported {} region(s) without a lease; their stats are dropped",
        Long.toUnsignedString(context.stat().get().id()), context.inactiveRegionIds().size());
    context.setStat(context.stat().get().withoutRegions(context.inactiveRegionIds()));
    return Flow.CONTINUE;
  }
}
