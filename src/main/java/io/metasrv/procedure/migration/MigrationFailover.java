package io.metasrv.procedure.migration;

import io.metasrv.failure.FailedRegion;
import io.metasrv.failure.RegionFailover;
import io.metasrv.metadata.Peer;
import io.metasrv.procedure.ProcedureManager;
import io.metasrv.selector.SelectorCandidate;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * Region failover by migration (GreptimeDB's {@code RegionSupervisor::do_failover}): a failed
 * region moves to the selector's target with a 60 s budget. A region already migrating, a table
 * that no longer exists and a region already on the target count as taken care of. The failed
 * datanode is the one this leader knows a lease of or, when it has none (the datanode died before
 * this node led), the one the region's route names as leader.
 */
public final class MigrationFailover implements RegionFailover {
  private final RegionMigrationManager migrations;
  private final ProcedureManager procedures;
  private final LongFunction<Optional<Peer>> knownPeer;

  /**
   * @param knownPeer a datanode this leader has a lease of, alive or not, by id
   */
  public MigrationFailover(RegionMigrationManager migrations, ProcedureManager procedures,
      LongFunction<Optional<Peer>> knownPeer) {
    this.migrations = migrations;
    this.procedures = procedures;
    this.knownPeer = knownPeer;
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public boolean paused() {
    return procedures.isPaused();
  }

  @Override
  public boolean failover(FailedRegion failed, SelectorCandidate target) throws Exception {
    long datanodeId = failed.region().datanodeId();
    // A datanode that died before this node led has no lease here; its route still names it.
    Peer from = knownPeer.apply(datanodeId)
        .or(() -> migrations.routedLeader(failed.region().regionId())
            .filter(leader -> leader.id() == datanodeId))
        .orElseThrow(() -> new MigrationRefusedException(
        MigrationRefusedException.Reason.PEER_UNAVAILABLE,
        "The target peer is unavailable temporally: " + datanodeId));
    if (target.nodeId() == datanodeId) {
      return true;
    }
    try {
      migrations.submit(new MigrationTask(failed.region().regionId(), from,
          new Peer(target.nodeId(), target.addr()), MigrationTask.FAILOVER_TIMEOUT));
      return true;
    } catch (MigrationRefusedException e) {
      if (e.reason() == MigrationRefusedException.Reason.MIGRATION_RUNNING
          || e.reason() == MigrationRefusedException.Reason.TABLE_ROUTE_NOT_FOUND) {
        return true;
      }
      throw e;
    }
  }
}
