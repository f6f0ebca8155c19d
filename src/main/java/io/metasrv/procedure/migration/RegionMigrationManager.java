package io.metasrv.procedure.migration;

import io.metasrv.kv.KvBackend;
import io.metasrv.kv.SharedGets;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableInfoValue;
import io.metasrv.metadata.ValueWithBytes;
import io.metasrv.procedure.ProcedureException;
import io.metasrv.procedure.ProcedureId;
import io.metasrv.procedure.ProcedureManager;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts region migrations (GreptimeDB's {@code RegionMigrationManager}): checks a request
 * against the route, refuses a second migration of a region, and submits the procedure. Also
 * registers the procedure's loader, so that a new leader resumes migrations left unfinished.
 */
public final class RegionMigrationManager {
  private static final Logger log = LoggerFactory.getLogger(RegionMigrationManager.class);

  private final ProcedureManager procedures;
  private final MigrationEnvironment env;
  /** Table info reads, shared by the submissions of a failed datanode's regions. */
  private final SharedGets tableInfos;
  private final LongFunction<Optional<Peer>> alivePeer;

  /**
   * @param kv the store, to read table info
   * @param alivePeer a datanode with a live lease, by id
   */
  public RegionMigrationManager(ProcedureManager procedures, MigrationEnvironment env,
      KvBackend kv, LongFunction<Optional<Peer>> alivePeer) {
    this.procedures = procedures;
    this.env = env;
    this.tableInfos = new SharedGets(kv);
    this.alivePeer = alivePeer;
    procedures.registerLoader(RegionMigrationProcedure.TYPE_NAME,
        data -> RegionMigrationProcedure.load(data, env));
  }

  /**
   * Migrates a region between two live datanodes, as {@code ProcedureService.migrate} asks.
   *
   * @return the procedure's id, or empty when the region already lives on {@code toPeerId}
   */
  public Optional<ProcedureId> migrate(long regionId, long fromPeerId, long toPeerId,
      Duration timeout) throws MigrationRefusedException, ProcedureException {
    Peer from = alive(fromPeerId);
    Peer to = alive(toPeerId);
    return submit(new MigrationTask(regionId, from, to, timeout));
  }

  /**
   * Starts a migration after checking it as GreptimeDB does: not already migrating, distinct
   * peers, a positive timeout, a physical route with the region led by {@code fromPeer}.
   *
   * @return the procedure's id, or empty when the region already lives on the target
   * @throws MigrationRefusedException when the request cannot be carried out
   * @throws ProcedureException when the procedure manager does not take it (not leading, paused,
   *     too many running)
   */
  public Optional<ProcedureId> submit(MigrationTask task)
      throws MigrationRefusedException, ProcedureException {
    String region = RegionId.display(task.regionId());
    if (env.tracker().contains(task.regionId())) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.MIGRATION_RUNNING,
          "Another migration procedure is running for region: " + region);
    }
    if (task.fromPeer().id() == task.toPeer().id()) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.INVALID_ARGUMENTS,
          "Invalid region migration: `from_peer` and `to_peer` are the same datanode "
              + task.fromPeer().id());
    }
    if (task.timeout().isZero() || task.timeout().isNegative()) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.INVALID_ARGUMENTS,
          "Invalid region migration: the timeout must be positive, got "
              + task.timeout().toSeconds() + " s");
    }
    long tableId = RegionId.tableId(task.regionId());
    RegionRoute route = regionRoute(tableId, task.regionId());
    if (route.ledBy(task.toPeer().id()) && !route.leaderDowngrading()) {
      log.info("region {} already lives on datanode {}; nothing to migrate", region,
          task.toPeer().id());
      return Optional.empty();
    }
    if (!route.ledBy(task.fromPeer().id())) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.INVALID_ARGUMENTS,
          "Invalid region migration `from_peer` argument: region " + region + " is led by "
              + (route.leaderPeer() == null ? "no datanode" : "datanode "
                  + route.leaderPeer().id()) + ", not " + task.fromPeer().id());
    }
    TableInfoValue tableInfo = tableInfo(tableId);
    RegionMigrationProcedure procedure = RegionMigrationProcedure.start(
        new PersistentContext(tableInfo.catalogName(), tableInfo.schemaName(), task.fromPeer(),
            task.toPeer(), task.regionId(), task.timeout()), env);
    if (!env.tracker().track(task.regionId(), procedure)) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.MIGRATION_RUNNING,
          "Another migration procedure is running for region: " + region);
    }
    ProcedureId id;
    try {
      id = procedures.submit(procedure);
    } catch (ProcedureException | RuntimeException e) {
      env.tracker().release(task.regionId(), procedure);
      throw e;
    }
    procedures.whenFinished(id).whenComplete(
        (state, error) -> env.tracker().release(task.regionId(), procedure));
    log.info("submitted region migration {} of region {} from datanode {} to {} (timeout {} s)",
        id, region, task.fromPeer().id(), task.toPeer().id(), task.timeout().toSeconds());
    return Optional.of(id);
  }

  /**
   * Forgets tracked migrations and the regions they kept open on targets: this node stopped
   * leading and its procedures stopped; the next leader resumes them and takes both again.
   */
  public void onLeaderStop() {
    env.tracker().clear();
    env.regionKeeper().clear();
  }

  /** The datanode the region's route names as its leader; empty when there is none to read. */
  public Optional<Peer> routedLeader(long regionId) {
    try {
      return Optional.ofNullable(regionRoute(RegionId.tableId(regionId), regionId).leaderPeer());
    } catch (MigrationRefusedException e) {
      return Optional.empty();
    }
  }

  private Peer alive(long datanodeId) throws MigrationRefusedException {
    return alivePeer.apply(datanodeId).orElseThrow(() -> new MigrationRefusedException(
        MigrationRefusedException.Reason.PEER_UNAVAILABLE,
        "The target peer is unavailable temporally: " + datanodeId));
  }

  private RegionRoute regionRoute(long tableId, long regionId)
      throws MigrationRefusedException {
    Optional<ValueWithBytes<PhysicalTableRouteValue>> route;
    try {
      route = env.routes().physical(tableId);
    } catch (InvalidMetadataException e) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.UNEXPECTED,
          e.getMessage());
    }
    return route.orElseThrow(() -> new MigrationRefusedException(
            MigrationRefusedException.Reason.TABLE_ROUTE_NOT_FOUND,
            "Table route not found: " + tableId))
        .value().regionRoute(regionId).orElseThrow(() -> new MigrationRefusedException(
            MigrationRefusedException.Reason.REGION_ROUTE_NOT_FOUND,
            "Region route not found: " + RegionId.display(regionId)));
  }

  private TableInfoValue tableInfo(long tableId) throws MigrationRefusedException {
    try {
      return tableInfos.get(new TableInfoKey(tableId).toBytes())
          .map(stored -> TableInfoValue.decode(stored.value()))
          .orElseThrow(() -> new MigrationRefusedException(
              MigrationRefusedException.Reason.TABLE_INFO_NOT_FOUND,
              "Table info not found: " + tableId));
    } catch (InvalidMetadataException e) {
      throw new MigrationRefusedException(MigrationRefusedException.Reason.UNEXPECTED,
          e.getMessage());
    }
  }
}
