package io.metasrv.procedure.migration;

import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.failure.DatanodeRegion;
import io.metasrv.heartbeat.MailboxException;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.heartbeat.instruction.Instruction;
import io.metasrv.heartbeat.instruction.InstructionReply;
import io.metasrv.heartbeat.instruction.MailboxMessages;
import io.metasrv.heartbeat.instruction.MalformedMessageException;
import io.metasrv.heartbeat.instruction.RegionIdent;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.ValueWithBytes;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.Procedure;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.MailboxMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a region's leadership from one datanode to another, GreptimeDB's {@code
 * RegionMigrationProcedure}: open the region on the target as a follower, mark the old leader
 * downgrading in the route, downgrade it, upgrade the target, point the route and {@code
 * __dn_table} at the target in one transaction, close the region on the old leader. A failed
 * upgrade rolls the route back and the procedure fails.
 *
 * <p>Only the state after the first step is persisted, as GreptimeDB does, so a new leader resumes
 * a migration from opening the candidate; every step is safe to run again. A resumed migration
 * whose route already names the target goes straight to closing the old region. Route writes go
 * through the environment's {@link RouteWriter}, which combines those of migrations of the same
 * table running side by side.
 *
 * <p>Where GreptimeDB hands the region over as soon as the old leader cannot be downgraded (it
 * is dead or does not answer), this waits until the old leader's last writable lease has
 * certainly lapsed: its lease runs {@value #REGION_LEASE_SECONDS} s from a heartbeat it sent
 * before the route marked it downgrading, and at most that long after its last heartbeat reached
 * this leader; a margin of {@value #LEASE_MARGIN_MILLIS} ms covers clock rates. Likewise a
 * rollback after the target may have become leader waits until the target's lease has lapsed
 * before the old leader leads again. That wait does not count against the migration's timeout.
 */
public final class RegionMigrationProcedure implements Procedure {
  public static final String TYPE_NAME = "metasrv-procedure::RegionMigration";

  static final long REGION_LEASE_SECONDS = 10;
  static final long LEASE_MARGIN_MILLIS = 1_000;
  static final Duration REGION_LEASE = Duration.ofSeconds(REGION_LEASE_SECONDS);
  /** GreptimeDB's {@code MAILBOX_RTT_SECS}: the close of the old region is not waited for long. */
  static final Duration MAILBOX_RTT = Duration.ofSeconds(1);
  static final int OPTIMISTIC_RETRY = 3;
  static final Duration RETRY_INTERVAL = Duration.ofMillis(500);
  private static final Duration WAIT_SLICE = Duration.ofMillis(200);
  static final String UPGRADE_FAILED = "Failed to upgrade the candidate region.";

  private static final Logger log = LoggerFactory.getLogger(RegionMigrationProcedure.class);

  private final PersistentContext context;
  private final MigrationEnvironment env;
  private MigrationState state;

  // Volatile context: lost with the leader, rebuilt by the steps that need it.
  private MemoryRegionKeeper.Guard openingGuard;
  private RegionInfo regionInfo;
  private Long lastEntryId;
  private long budgetStartNanos = -1;
  private long waitedNanos;
  /** Whether the target may be a writable leader without the route naming it. */
  private boolean candidateMayLead;
  private long candidateReleasedNanos = -1;
  /** Whether this migration holds its region in the tracker (a rollback touches nothing else). */
  private boolean tracked;

  public RegionMigrationProcedure(PersistentContext context, MigrationState state,
      MigrationEnvironment env) {
    this.context = context;
    this.state = state;
    this.env = env;
  }

  /** A new migration, from its first state. */
  public static RegionMigrationProcedure start(PersistentContext context,
      MigrationEnvironment env) {
    return new RegionMigrationProcedure(context, new MigrationState.Start(), env);
  }

  /**
   * A migration read back from the store by a new leader.
   *
   * @throws InvalidMetadataException when {@code data} is not a migration
   */
  public static RegionMigrationProcedure load(String data, MigrationEnvironment env) {
    MigrationJson.Data read = MigrationJson.read(data);
    RegionMigrationProcedure procedure =
        new RegionMigrationProcedure(read.context(), read.state(), env);
    // Nothing is known of the target's lease on a new leader: it may lead until a lease from
    // now has lapsed (see rollback).
    procedure.candidateMayLead = true;
    return procedure;
  }

  public PersistentContext context() {
    return context;
  }

  public MigrationState state() {
    return state;
  }

  @Override
  public String typeName() {
    return TYPE_NAME;
  }

  @Override
  public String dump() {
    return MigrationJson.write(context, state);
  }

  /**
   * Catalog and schema shared, the table shared (as newer GreptimeDB takes it: migrations of
   * different regions of one table run side by side, and DDL, which takes the table exclusively,
   * still waits for them), the region exclusive.
   */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(
        LockKey.catalogRead(context.catalog()),
        LockKey.schemaRead(context.catalog(), context.schema()),
        LockKey.tableRead(context.tableId()),
        LockKey.regionWrite(context.regionId()));
  }

  @Override
  public boolean rollbackSupported() {
    return true;
  }

  @Override
  public Status execute(ProcedureContext procedureContext) throws Exception {
    if (!env.tracker().track(context.regionId(), this)) {
      throw new MigrationException("Another migration procedure is running for region: "
          + RegionId.display(context.regionId()));
    }
    tracked = true;
    startBudget();
    MigrationState current = state;
    Status status;
    try {
      status = step(current, procedureContext);
    } catch (KvUnavailableException e) {
      throw new RetryLaterException("the store is unavailable: " + e.getMessage(), e);
    }
    if (state != current) {
      log.info("region migration of {} from datanode {} to {}: {} -> {}", region(),
          context.fromPeer().id(), context.toPeer().id(), describe(current), describe(state));
    }
    if (status instanceof Status.Done) {
      release();
    }
    return status;
  }

  private Status step(MigrationState current, ProcedureContext procedureContext)
      throws Exception {
    if (current instanceof MigrationState.Start) {
      return start();
    } else if (current instanceof MigrationState.OpenCandidateRegion) {
      return openCandidateRegion();
    } else if (current instanceof MigrationState.UpdateMetadataDowngrade) {
      return markLeaderDowngrading();
    } else if (current instanceof MigrationState.DowngradeLeaderRegion) {
      return downgradeLeader(procedureContext);
    } else if (current instanceof MigrationState.UpgradeCandidateRegion) {
      return upgradeCandidate();
    } else if (current instanceof MigrationState.UpdateMetadataUpgrade) {
      return moveLeaderInRoute();
    } else if (current instanceof MigrationState.UpdateMetadataRollback) {
      return rollBackRoute(procedureContext);
    } else if (current instanceof MigrationState.CloseDowngradedRegion) {
      return closeDowngradedRegion();
    } else if (current instanceof MigrationState.Abort abort) {
      throw new MigrationException("Region migration abort: " + abort.reason());
    }
    return Status.done();
  }

  private Status start() throws MigrationException {
    RegionRoute route = regionRoute(readRoute());
    Peer leader = route.leaderPeer();
    if (leader == null) {
      throw new MigrationException("Region " + region() + " has no leader in its route");
    }
    if (leader.id() == context.toPeer().id()) {
      state = new MigrationState.End();
      return Status.done();
    }
    if (leader.id() != context.fromPeer().id()) {
      state = new MigrationState.Abort("Invalid region leader peer: " + leader
          + ", expected: " + context.fromPeer());
      return Status.done();
    }
    state = route.followedBy(context.toPeer().id())
        ? new MigrationState.UpdateMetadataDowngrade()
        : new MigrationState.OpenCandidateRegion();
    return Status.executing(true);
  }

  private Status openCandidateRegion() throws Exception {
    RegionRoute route = regionRoute(readRoute());
    if (route.ledBy(context.toPeer().id()) && !route.leaderDowngrading()) {
      // A resumed migration whose route already moved: only the close is left.
      state = new MigrationState.CloseDowngradedRegion();
      return Status.executing(false);
    }
    if (openingGuard == null) {
      openingGuard = env.regionKeeper().register(context.toPeer().id(), context.regionId());
      if (openingGuard == null) {
        throw new MigrationException("Another procedure is opening the region: " + region()
            + " on peer: " + context.toPeer().id());
      }
    }
    RegionInfo info = regionInfo();
    Instruction open = new Instruction.OpenRegion(
        new RegionIdent(context.toPeer().id(), context.tableId(), context.regionNumber(),
            info.engine()),
        info.regionStoragePath(), info.regionOptions(), info.regionWalOptions(), true);
    InstructionReply reply;
    try {
      reply = send(context.toPeer(),
          MailboxMessages.openCandidateRegionSubject(context.regionId()), open, REGION_LEASE);
    } catch (MigrationException noStream) {
      // GreptimeDB gives up at once. A new leader is often asked before the target has
      // reconnected to it, so wait for the stream while the migration has time left.
      if (remainingBudget().isZero()) {
        throw noStream;
      }
      throw new RetryLaterException(noStream.getMessage(), noStream);
    }
    if (!(reply instanceof InstructionReply.OpenRegion opened)) {
      throw new RetryLaterException("unexpected reply to opening the candidate region "
          + region() + ": " + reply);
    }
    if (!opened.result()) {
      throw new RetryLaterException("datanode " + context.toPeer().id()
          + " did not open candidate region " + region() + ": " + opened.error());
    }
    state = new MigrationState.UpdateMetadataDowngrade();
    return Status.executing(false);
  }

  private Status markLeaderDowngrading() throws Exception {
    env.routeWriter().update(context.tableId(), context.regionId(), route ->
        !route.ledBy(context.fromPeer().id()) || route.leaderDowngrading() ? Optional.empty()
            : Optional.of(route.downgradingSince(env.clock().wallMillis())), null);
    state = new MigrationState.DowngradeLeaderRegion();
    return Status.executing(false);
  }

  private Status downgradeLeader(ProcedureContext procedureContext) throws Exception {
    Instruction downgrade = null;
    for (int attempt = 1; attempt <= OPTIMISTIC_RETRY; attempt++) {
      Duration remaining = remainingBudget();
      if (remaining.isZero()) {
        log.warn("region migration of {}: time budget used up downgrading the leader", region());
        state = new MigrationState.UpdateMetadataRollback();
        return Status.executing(false);
      }
      downgrade = new Instruction.DowngradeRegion(context.regionId(), remaining, rejectWrite());
      try {
        InstructionReply reply = send(context.fromPeer(),
            MailboxMessages.downgradeLeaderRegionSubject(context.regionId()), downgrade, remaining);
        if (reply instanceof InstructionReply.DowngradeRegion downgraded
            && downgraded.error() == null) {
          if (!downgraded.exists()) {
            log.warn("region {} does not exist on datanode {}; treating it as downgraded",
                region(), context.fromPeer().id());
          }
          lastEntryId = downgraded.lastEntryId();
          state = new MigrationState.UpgradeCandidateRegion();
          return Status.executing(false);
        }
        log.warn("downgrading region {} on datanode {} failed (attempt {}): {}", region(),
            context.fromPeer().id(), attempt, reply);
      } catch (RetryLaterException | MigrationException e) {
        log.warn("downgrading region {} on datanode {} failed (attempt {}): {}", region(),
            context.fromPeer().id(), attempt, e.getMessage());
        if (e instanceof MigrationException) {
          break;
        }
      }
      if (attempt < OPTIMISTIC_RETRY) {
        env.clock().sleep(RETRY_INTERVAL);
      }
    }
    // The old leader cannot be downgraded. GreptimeDB upgrades the candidate at once; its old
    // lease may still make the old leader writable, so wait until that lease has lapsed.
    lastEntryId = null;
    waitForLeaseToLapse(procedureContext, oldLeaderLeaseEnd(), "datanode "
        + context.fromPeer().id() + " (old leader)");
    state = new MigrationState.UpgradeCandidateRegion();
    return Status.executing(false);
  }

  /**
   * The wall-clock time by which the old leader's last writable lease has certainly lapsed: its
   * last writable grant answered a heartbeat sent before the route marked it downgrading, and
   * before its last heartbeat this leader received.
   */
  private long oldLeaderLeaseEnd() throws MigrationException {
    RegionRoute route = regionRoute(readRoute());
    long markedAt = route.leaderDownSince() != null ? route.leaderDownSince()
        : env.clock().wallMillis();
    OptionalLong lastHeard = env.lastHeartbeatMillis().apply(context.fromPeer().id());
    long lastWritableGrant = lastHeard.isPresent()
        ? Math.min(markedAt, lastHeard.getAsLong()) : markedAt;
    return lastWritableGrant + REGION_LEASE.toMillis() + LEASE_MARGIN_MILLIS;
  }

  private Status upgradeCandidate() throws Exception {
    if (openingGuard != null) {
      // A lease answer echoing the candidate's follower role must not land after the upgrade.
      openingGuard.changingRole();
    }
    String failure = "no attempt";
    for (int attempt = 1; attempt <= OPTIMISTIC_RETRY; attempt++) {
      Duration remaining = remainingBudget();
      if (remaining.isZero()) {
        failure = "time budget of " + context.timeout().toMillis() + " ms used up";
        break;
      }
      Instruction upgrade = new Instruction.UpgradeRegion(context.regionId(), lastEntryId,
          remaining, context.fromPeer().id());
      candidateMayLead = true;
      try {
        InstructionReply reply = send(context.toPeer(),
            MailboxMessages.upgradeCandidateRegionSubject(context.regionId()), upgrade, remaining);
        if (reply instanceof InstructionReply.UpgradeRegion upgraded) {
          if (upgraded.error() == null && upgraded.ready()) {
            state = new MigrationState.UpdateMetadataUpgrade();
            return Status.executing(false);
          }
          failure = upgraded.error() != null ? upgraded.error()
              : !upgraded.exists() ? "the candidate region does not exist"
              : "the candidate region is not ready";
          if (upgraded.error() == null && !upgraded.exists()) {
            break;
          }
        } else {
          failure = "unexpected reply " + reply;
        }
      } catch (RetryLaterException e) {
        failure = e.getMessage();
      } catch (MigrationException e) {
        failure = e.getMessage();
        break;
      }
      log.warn("upgrading candidate region {} on datanode {} failed (attempt {}): {}", region(),
          context.toPeer().id(), attempt, failure);
      if (attempt < OPTIMISTIC_RETRY) {
        env.clock().sleep(RETRY_INTERVAL);
      }
    }
    log.warn("giving up upgrading candidate region {} on datanode {}: {}", region(),
        context.toPeer().id(), failure);
    state = new MigrationState.UpdateMetadataRollback();
    return Status.executing(false);
  }

  private Status moveLeaderInRoute() throws Exception {
    long to = context.toPeer().id();
    boolean moved = env.routeWriter().update(context.tableId(), context.regionId(), route -> {
      if (route.ledBy(to) && route.leaderDowngrading()) {
        throw new MigrationException("Unexpected region leader state: region " + region()
            + " is led by the target " + to + " but still marked downgrading");
      }
      if (route.ledBy(to)) {
        return Optional.empty();
      }
      if (!route.ledBy(context.fromPeer().id())) {
        throw new MigrationException("Unexpected region leader: region " + region()
            + " is led by " + route.leaderPeer() + ", expected " + context.fromPeer());
      }
      List<Peer> followers = new ArrayList<>(route.followerPeers());
      followers.removeIf(peer -> peer.id() == to);
      return Optional.of(new RegionRoute(route.region(), context.toPeer(), followers, null,
          null));
    }, regionInfo());
    if (moved) {
      env.detectors().remove(new DatanodeRegion(context.fromPeer().id(), context.regionId()));
      // Watched on the target from now: were it to die before a heartbeat of it reported the
      // region, no detector would ever find the region failed (GreptimeDB registers none).
      env.detectors().register(List.of(new DatanodeRegion(to, context.regionId())));
      invalidateTableCaches();
    }
    releaseGuard();
    candidateMayLead = false;
    state = new MigrationState.CloseDowngradedRegion();
    return Status.executing(false);
  }

  private Status rollBackRoute(ProcedureContext procedureContext) throws Exception {
    clearDowngrading(procedureContext);
    state = new MigrationState.Abort(UPGRADE_FAILED);
    return Status.executing(false);
  }

  private Status closeDowngradedRegion() throws InterruptedException {
    String engine = engineForClose();
    Instruction close = new Instruction.CloseRegion(new RegionIdent(context.fromPeer().id(),
        context.tableId(), context.regionNumber(), engine));
    try {
      InstructionReply reply = send(context.fromPeer(),
          MailboxMessages.closeDowngradedRegionSubject(context.regionId()), close, MAILBOX_RTT);
      log.info("datanode {} answered the close of region {}: {}", context.fromPeer().id(),
          region(), reply);
    } catch (RetryLaterException | MigrationException e) {
      log.warn("closing downgraded region {} on datanode {} failed; its lease is not renewed, "
          + "so it closes itself: {}", region(), context.fromPeer().id(), e.getMessage());
    }
    state = new MigrationState.End();
    return Status.done();
  }

  /**
   * Undoes a failed migration, as GreptimeDB's framework rollback: if the old leader is still
   * marked downgrading, it leads again; its failure detector is registered again.
   */
  @Override
  public void rollback(ProcedureContext procedureContext) throws Exception {
    if (tracked || env.tracker().track(context.regionId(), this)) {
      startBudget();
      try {
        clearDowngrading(procedureContext);
      } catch (KvUnavailableException e) {
        throw new RetryLaterException("the store is unavailable: " + e.getMessage(), e);
      }
    }
    release();
  }

  private void startBudget() {
    if (budgetStartNanos < 0) {
      budgetStartNanos = env.clock().nanoTime();
    }
  }

  private void clearDowngrading(ProcedureContext procedureContext) throws Exception {
    releaseGuard();
    long from = context.fromPeer().id();
    RegionRoute route = regionRoute(readRoute());
    if (route.ledBy(from) && route.leaderDowngrading() && candidateMayLead) {
      // The target may have become leader: let its lease lapse before the old leader leads.
      waitForLeaseToLapse(procedureContext, env.clock().wallMillis()
          + untilCandidateLeaseLapses(), "datanode " + context.toPeer().id() + " (candidate)");
      candidateMayLead = false;
    }
    if (env.routeWriter().update(context.tableId(), context.regionId(), current ->
        current.ledBy(from) && current.leaderDowngrading()
            ? Optional.of(current.withoutLeaderState()) : Optional.empty(), null)) {
      invalidateTableCaches();
    }
    env.detectors().register(List.of(new DatanodeRegion(from, context.regionId())));
  }

  /**
   * How long, from now, the candidate's lease may still run: a lease from when its guard was
   * released, or, on a leader that never held the guard, from when this leader took the migration
   * up (the previous leader stopped granting before that).
   */
  private long untilCandidateLeaseLapses() {
    long releasedNanos = candidateReleasedNanos >= 0 ? candidateReleasedNanos : budgetStartNanos;
    long sinceRelease = (env.clock().nanoTime() - releasedNanos) / 1_000_000;
    return Math.max(0, REGION_LEASE.toMillis() + LEASE_MARGIN_MILLIS - sinceRelease);
  }

  private void waitForLeaseToLapse(ProcedureContext procedureContext, long untilWallMillis,
      String whose) throws Exception {
    long waitMillis = untilWallMillis - env.clock().wallMillis();
    if (waitMillis <= 0) {
      return;
    }
    log.info("region migration of {}: waiting {} ms for the lease of {} to lapse", region(),
        waitMillis, whose);
    long startNanos = env.clock().nanoTime();
    while (env.clock().wallMillis() < untilWallMillis) {
      if (procedureContext.stopping()) {
        throw new RetryLaterException("stopped while waiting for the lease of " + whose
            + " to lapse");
      }
      long left = untilWallMillis - env.clock().wallMillis();
      env.clock().sleep(Duration.ofMillis(Math.min(left, WAIT_SLICE.toMillis())));
    }
    waitedNanos += env.clock().nanoTime() - startNanos;
  }

  private void releaseGuard() {
    if (openingGuard != null) {
      openingGuard.close();
      openingGuard = null;
      candidateReleasedNanos = env.clock().nanoTime();
    }
  }

  private void release() {
    if (openingGuard != null) {
      openingGuard.close();
      openingGuard = null;
    }
    env.tracker().release(context.regionId(), this);
  }

  private void invalidateTableCaches() {
    try {
      env.invalidator().invalidate(List.of(new CacheIdent.TableId(context.tableId())));
    } catch (RuntimeException e) {
      log.warn("cannot broadcast the cache invalidation of table {}: {}", context.tableId(),
          e.toString());
    }
  }

  /**
   * Sends an instruction and waits for the reply.
   *
   * @throws RetryLaterException when no reply came in time or the reply is unreadable
   * @throws MigrationException when the datanode has no heartbeat stream to this leader
   */
  private InstructionReply send(Peer to, String subject, Instruction instruction,
      Duration timeout)
      throws RetryLaterException, MigrationException, InterruptedException {
    MailboxMessage message = MailboxMessages.instruction(subject,
        MailboxMessages.metasrv(env.serverAddr()),
        MailboxMessages.datanode(to.id(), to.addr()), env.clock().wallMillis(), instruction);
    MailboxMessage reply;
    try {
      reply = env.mailbox().send(PusherKey.datanode(to.id()), message, timeout).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof MailboxException failed) {
        if (failed.kind() == MailboxException.Kind.NO_STREAM) {
          throw new MigrationException(failed.getMessage(), failed);
        }
        throw new RetryLaterException(failed.getMessage(), failed);
      }
      throw new RetryLaterException("sending '" + subject + "' failed", e.getCause());
    }
    try {
      return MailboxMessages.readReply(reply);
    } catch (MalformedMessageException e) {
      throw new RetryLaterException("unreadable reply to '" + subject + "': " + e.getMessage(),
          e);
    }
  }

  private Duration remainingBudget() {
    long elapsed = env.clock().nanoTime() - budgetStartNanos - waitedNanos;
    long left = context.timeout().toNanos() - elapsed;
    return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
  }

  /**
   * Whether the old leader must reject writes while downgraded: yes unless its WAL is remote
   * (Kafka) or absent by design (noop), as GreptimeDB decides from the region's WAL options.
   */
  private boolean rejectWrite() throws MigrationException {
    String walOptions = regionInfo().regionWalOptions().get(context.regionNumber());
    if (walOptions == null) {
      return true;
    }
    try {
      JsonNode provider = SerdeJson.readTree(walOptions.getBytes(StandardCharsets.UTF_8),
          "WalOptions").get("wal.provider");
      return provider == null
          || !("kafka".equals(provider.asText()) || "noop".equals(provider.asText()));
    } catch (InvalidMetadataException e) {
      return true;
    }
  }

  /** Engine, storage path and options of the table, from the old leader's {@code __dn_table}. */
  private RegionInfo regionInfo() throws MigrationException {
    if (regionInfo == null) {
      DatanodeTableValue value = env.routes()
          .datanodeTable(context.fromPeer().id(), context.tableId())
          .or(() -> env.routes().datanodeTable(context.toPeer().id(), context.tableId()))
          .orElseThrow(() -> new MigrationException("Datanode table not found: datanode "
              + context.fromPeer().id() + ", table " + context.tableId()));
      regionInfo = value.regionInfo();
    }
    return regionInfo;
  }

  private String engineForClose() {
    try {
      return regionInfo().engine();
    } catch (MigrationException e) {
      return "mito2";
    }
  }

  private ValueWithBytes<PhysicalTableRouteValue> readRoute() throws MigrationException {
    try {
      return env.routes().physical(context.tableId()).orElseThrow(() ->
          new MigrationException("Table route not found: " + context.tableId()));
    } catch (InvalidMetadataException e) {
      throw new MigrationException(e.getMessage(), e);
    }
  }

  private RegionRoute regionRoute(ValueWithBytes<PhysicalTableRouteValue> route)
      throws MigrationException {
    return route.value().regionRoute(context.regionId()).orElseThrow(() ->
        new MigrationException("Region route not found: " + region()));
  }

  private String region() {
    return RegionId.display(context.regionId());
  }

  private static String describe(MigrationState state) {
    if (state instanceof MigrationState.UpdateMetadataDowngrade) {
      return "UpdateMetadata::Downgrade";
    } else if (state instanceof MigrationState.UpdateMetadataUpgrade) {
      return "UpdateMetadata::Upgrade";
    } else if (state instanceof MigrationState.UpdateMetadataRollback) {
      return "UpdateMetadata::Rollback";
    }
    return state.name();
  }

  @Override
  public String toString() {
    return "RegionMigration[" + region() + " " + context.fromPeer().id() + "->"
        + context.toPeer().id() + " " + describe(state) + "]";
  }
}
