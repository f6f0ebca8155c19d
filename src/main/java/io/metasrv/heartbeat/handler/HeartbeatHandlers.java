package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.ClusterView;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.kv.KvBackend;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** The standard handler chain, in GreptimeDB's order. */
public final class HeartbeatHandlers {
  private HeartbeatHandlers() {}

  /**
   * @param isLeader whether this node leads and may answer heartbeats
   * @param view the leader's in-memory view
   * @param leaderKv the store as the leader reads (cached) and writes (fenced) it
   * @param detectors the failure detectors, fed with every datanode's leased regions
   * @param flushStatsFactor stats are stored this many at a time
   * @param clockMillis the clock heartbeats are stamped with on arrival (the leader's)
   */
  public static List<HeartbeatHandler> standard(BooleanSupplier isLeader, ClusterView view,
      KvBackend leaderKv, Mailbox mailbox, MemoryRegionKeeper keeper,
      CacheInvalidator invalidator, RegionFailureDetectors detectors, int flushStatsFactor,
      MeterRegistry registry,
      LongSupplier clockMillis) {
    return List.of(
        new ResponseHeaderHandler(),
        new KeepLeaseHandler(Role.DATANODE, view),
        new KeepLeaseHandler(Role.FLOWNODE, view),
        new CheckLeaderHandler(isLeader),
        new OnLeaderStartHandler(view),
        new ExtractStatHandler(),
        new CollectClusterInfoHandler(Role.DATANODE, view),
        new CollectClusterInfoHandler(Role.FRONTEND, view),
        new CollectClusterInfoHandler(Role.FLOWNODE, view),
        new MailboxHandler(mailbox),
        new RegionLeaseHandler(leaderKv, keeper, registry, clockMillis),
        new FilterInactiveRegionStatsHandler(),
        new RegionFailureHandler(detectors),
        new CollectStatsHandler(view, leaderKv, invalidator, flushStatsFactor),
        new RemapFlowPeerHandler(leaderKv),
        new FlowStateHandler(view));
  }
}
