package io.metasrv.server;

import io.metasrv.cluster.ClusterKeys.NodeInfoKey;
import io.metasrv.cluster.ClusterReports;
import io.metasrv.cluster.ClusterView;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.ddl.DdlContext;
import io.metasrv.ddl.DdlManager;
import io.metasrv.ddl.RegionServer;
import io.metasrv.ddl.WalOptionsAllocator;
import io.metasrv.ddl.wal.WalOptionsAllocators;
import io.metasrv.election.Election;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.failure.DatanodeRegion;
import io.metasrv.failure.FailedRegionsReport;
import io.metasrv.failure.RegionFailover;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.failure.RegionSupervisor;
import io.metasrv.fence.FencedException;
import io.metasrv.fence.FencedKv;
import io.metasrv.grpc.GrpcBackend;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.HeartbeatHandlerChain;
import io.metasrv.heartbeat.HeartbeatPipeline;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.Pushers;
import io.metasrv.heartbeat.handler.HeartbeatHandlers;
import io.metasrv.http.AdminBackend;
import io.metasrv.http.NodeHealth;
import io.metasrv.http.NotLeaderException;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import io.metasrv.kv.LeaderCachedKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.CatalogNameKey;
import io.metasrv.metadata.DefaultCatalog;
import io.metasrv.metadata.MaintenanceMode;
import io.metasrv.metadata.MetadataKey;
import io.metasrv.metadata.NodeAddressKey;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.ProcedurePause;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.SchemaNameKey;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRoutes;
import io.metasrv.metadata.sequence.Sequence;
import io.metasrv.procedure.ProcedureManager;
import io.metasrv.procedure.ProceduresReport;
import io.metasrv.procedure.migration.MigrationClock;
import io.metasrv.procedure.migration.MigrationEnvironment;
import io.metasrv.procedure.migration.MigrationFailover;
import io.metasrv.procedure.migration.MigrationTracker;
import io.metasrv.procedure.migration.RegionMigrationManager;
import io.metasrv.procedure.migration.RouteWriter;
import io.metasrv.protocol.Role;
import io.metasrv.selector.DatanodeCandidates;
import io.metasrv.selector.Selector;
import io.metasrv.selector.SelectorOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One metasrv node: its store, its election and the leader-only work that follows the
 * election's events.
 *
 * <p>Leader changes are handled one at a time, in order, on the {@code metasrv-leader-events}
 * thread. On {@link LeaderChange.Elected} the node first stores its leader epoch (see {@link
 * FencedKv}), then starts the {@link LeaderStateHandler}s in registration order; on {@link
 * LeaderChange.StepDown} it gives the epoch up before anything else, then stops the handlers in
 * reverse order. A node that cannot take the epoch, or whose handler fails to start, resigns
 * rather than lead half-started; a node whose fenced write finds a newer epoch resigns too.
 *
 * <p>Threads and what each may touch:
 *
 * <ul>
 *   <li>The serving state moves only along {@code STARTING → FOLLOWER ⇄ LEADER} and from any of
 *       those to {@code STOPPING → STOPPED}, and only by compare-and-set from the state the mover
 *       saw: {@link #start} (the caller), the leader-events thread (follower ⇄ leader) and {@link
 *       #shutdown} (any thread). So a leader start that finishes while the node is stopping
 *       cannot make it a leader again, and a step-down never revives a stopped node.
 *   <li>The started handlers, the epoch's acquire and release, the leader cache's enable and
 *       disable, and marking the cluster view stale belong to the leader-events thread alone.
 *   <li>Request threads (gRPC, HTTP) read the state, the election and the store, and the
 *       heartbeat handlers write the {@link ClusterView}, which is thread-safe and starts afresh
 *       once, on first use after it was marked stale.
 *   <li>The {@code metasrv-leader-timers} thread runs mailbox deadlines and, while this node
 *       leads, the removal of idle nodes from the view and the region supervisor's ticks.
 *   <li>Handlers are added before {@link #start}, on the thread that builds the node.
 * </ul>
 *
 * <p>Between its election and the end of its leader start, the election names this node as
 * leader while it cannot act as one yet; leader-only requests then get {@link
 * NotLeaderException#startingAsLeader()} (HTTP 503 with {@code Retry-After}), never a pointer
 * back to itself.
 */
public final class Metasrv implements AdminBackend, GrpcBackend {
  private static final Logger log = LoggerFactory.getLogger(Metasrv.class);

  /** What the leader cache holds: GreptimeDB's {@code CACHE_KEY_PREFIXES}. */
  private static final List<byte[]> LEADER_CACHED_PREFIXES = List.of(
      Bytes.utf8(TableNameKey.PREFIX), Bytes.utf8(CatalogNameKey.PREFIX),
      Bytes.utf8(SchemaNameKey.PREFIX), Bytes.utf8(TableRouteKey.PREFIX),
      Bytes.utf8(NodeAddressKey.PREFIX));

  /** How often the leader looks for idle nodes, as GreptimeDB's {@code NodeExpiryListener}. */
  private static final Duration NODE_EXPIRY_PERIOD = Duration.ofMinutes(1);

  private final MetasrvNodeInfo nodeInfo;
  private final LeaderCachedKv kv;
  private final FencedKv leaderKv;
  private final Election election;
  private final BooleanSupplier storeReachable;
  private final MaintenanceMode maintenance;
  private final ProcedurePause procedurePause;
  private final List<LeaderStateHandler> handlers = new CopyOnWriteArrayList<>();
  private final List<LeaderStateHandler> started = new ArrayList<>();
  private final List<Runnable> servingListeners = new CopyOnWriteArrayList<>();
  private final ExecutorService leaderEvents = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "metasrv-leader-events");
    t.setDaemon(true);
    return t;
  });
  private final AtomicReference<ServingState> state =
      new AtomicReference<>(ServingState.STARTING);
  private final ClusterView clusterView = new ClusterView();
  private final ClusterReports clusterReports = new ClusterReports(clusterView);
  private final Pushers pushers = new Pushers();
  /** Mailbox deadlines and the leader's periodic view upkeep. */
  private final ScheduledExecutorService leaderTimers =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "metasrv-leader-timers");
        t.setDaemon(true);
        return t;
      });
  /** Where CREATE TABLE has region Creates sent while its step is stored ({@link DdlContext}). */
  private final ExecutorService ddlSender = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "metasrv-ddl-sender");
    t.setDaemon(true);
    return t;
  });
  private final Mailbox mailbox;
  private final MemoryRegionKeeper regionKeeper = new MemoryRegionKeeper();
  private final HeartbeatPipeline heartbeats;
  private final RegionFailureDetectors detectors;
  private final RegionSupervisor supervisor;
  private final ProcedureManager procedures;
  private final RegionMigrationManager migrations;
  private final Optional<DdlManager> ddl;
  /**
   * Table ids, made afresh at every leader start: a range reserved in an earlier term is dropped
   * (a gap), so ids handed out only grow across leader changes.
   */
  private volatile Sequence tableIds;

  /**
   * A node with GreptimeDB's default options and metrics that go nowhere.
   *
   * @param storeReachable whether the store answered lately; a node that cannot reach its store
   *     does not report itself healthy
   */
  public Metasrv(MetasrvNodeInfo nodeInfo, KvBackend kv, Election election,
      BooleanSupplier storeReachable) {
    this(nodeInfo, kv, election, storeReachable, new SimpleMeterRegistry(),
        MetasrvOptions.defaults());
  }

  /**
   * @param kv the store; the node reads and writes it through its leader cache
   * @param storeReachable whether the store answered lately; a node that cannot reach its store
   *     does not report itself healthy
   * @param options what the node reads: {@code flush_stats_factor}, {@code node_max_idle_time},
   *     {@code [failure_detector]}, {@code selector}
   */
  public Metasrv(MetasrvNodeInfo nodeInfo, KvBackend kv, Election election,
      BooleanSupplier storeReachable, MeterRegistry registry, MetasrvOptions options) {
    this(nodeInfo, kv, election, storeReachable, registry, options, Optional.empty());
  }

  /**
   * @param regionServer how DDL reaches datanodes ({@code Region/Handle}); without it the node
   *     runs no DDL and answers every DDL task Unsupported
   */
  public Metasrv(MetasrvNodeInfo nodeInfo, KvBackend kv, Election election,
      BooleanSupplier storeReachable, MeterRegistry registry, MetasrvOptions options,
      Optional<RegionServer> regionServer) {
    this.nodeInfo = nodeInfo;
    this.kv = new LeaderCachedKv(kv, LEADER_CACHED_PREFIXES);
    this.election = election;
    this.storeReachable = storeReachable;
    this.leaderKv = new FencedKv(this.kv, this::onFenced);
    this.maintenance = new MaintenanceMode(leaderKv);
    this.procedurePause = new ProcedurePause(leaderKv);
    this.mailbox = new Mailbox(pushers, Sequence.heartbeatMailbox(leaderKv)::next,
        leaderTimers, registry);
    CacheInvalidator invalidator = new CacheInvalidator(mailbox, nodeInfo.addr(),
        System::currentTimeMillis);
    this.detectors = new RegionFailureDetectors(options.failureDetector(),
        System::currentTimeMillis);
    this.heartbeats = new HeartbeatPipeline(new HeartbeatHandlerChain(
        HeartbeatHandlers.standard(this::isLeader, clusterView, leaderKv, mailbox, regionKeeper,
            invalidator, detectors, options.flushStatsFactor(), registry,
            System::currentTimeMillis), registry),
        pushers, System::currentTimeMillis, registry);
    GroupCommit leaderWrites = new GroupCommit(leaderKv);
    this.procedures = ProcedureManager.builder(leaderKv, options.procedure())
        .groupCommit(leaderWrites).meterRegistry(registry).build();
    TableRoutes tableRoutes = new TableRoutes(leaderKv);
    MigrationEnvironment migrationEnvironment = new MigrationEnvironment(
        tableRoutes, new RouteWriter(tableRoutes), mailbox, nodeInfo.addr(), regionKeeper,
        detectors, invalidator,
        clusterView::lastHeartbeatMillis, new MigrationTracker(), MigrationClock.SYSTEM);
    this.migrations = new RegionMigrationManager(procedures, migrationEnvironment, kv,
        datanodeId -> clusterView.datanodePeer(datanodeId, System::currentTimeMillis, true));
    RegionFailover failover = options.enableRegionFailover()
        ? new MigrationFailover(migrations, procedures, datanodeId ->
            clusterView.datanodePeer(datanodeId, System::currentTimeMillis, false))
        : RegionFailover.DISABLED;
    Selector datanodeSelector = Selector.forDatanodes(options.selector(), new Random());
    WalOptionsAllocator walOptions = WalOptionsAllocators.create(options.wal(), leaderKv);
    this.ddl = regionServer.map(server -> new DdlManager(procedures, new DdlContext(leaderWrites,
        () -> tableIds.next(), count -> datanodeSelector.select(
            DatanodeCandidates.alive(clusterView, System::currentTimeMillis, datanodeSelector),
            SelectorOptions.withDuplicates(count)).stream()
            .map(candidate -> new Peer(candidate.nodeId(), candidate.addr())).toList(),
        regionKeeper, server, walOptions, invalidator::invalidate, detectors, ddlSender),
        registry));
    this.supervisor = new RegionSupervisor(detectors, maintenance::isEnabled, failover,
        datanodeSelector,
        () -> DatanodeCandidates.alive(clusterView, System::currentTimeMillis, datanodeSelector),
        () -> routedLeaders(tableRoutes), System::currentTimeMillis,
        RegionSupervisor.handOverExecutor(), registry);
    handlers.add(new LeaderStateHandler() {
      @Override
      public String name() {
        return "wal options";
      }

      @Override
      public void onLeaderStart() {
        walOptions.onLeaderStart();
      }

      @Override
      public void onLeaderStop() {
        walOptions.onLeaderStop();
      }
    });
    handlers.add(new LeaderStateHandler() {
      @Override
      public String name() {
        return "default catalog";
      }

      @Override
      public void onLeaderStart() {
        List<MetadataKey> created = DefaultCatalog.ensure(leaderKv);
        if (!created.isEmpty()) {
          log.info("created the default catalog and schemas: {}", created);
        }
      }

      @Override
      public void onLeaderStop() {}
    });
    handlers.add(new LeaderStateHandler() {
      @Override
      public String name() {
        return "procedure manager";
      }

      @Override
      public void onLeaderStart() {
        if (procedurePause.isPaused()) {
          procedures.pause();
        } else {
          procedures.resume();
        }
        procedures.start();
      }

      @Override
      public void onLeaderStop() {
        procedures.stop();
        migrations.onLeaderStop();
      }
    });
    handlers.add(new LeaderStateHandler() {
      @Override
      public String name() {
        return "region supervisor";
      }

      @Override
      public void onLeaderStart() {
        supervisor.start(leaderTimers);
      }

      @Override
      public void onLeaderStop() {
        supervisor.stop();
      }
    });
    long maxIdleMillis = options.nodeMaxIdleTime().toMillis();
    leaderTimers.scheduleWithFixedDelay(
        () -> removeIdleNodes(System.currentTimeMillis(), maxIdleMillis),
        NODE_EXPIRY_PERIOD.toMillis(), NODE_EXPIRY_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Every region with the datanode its physical table route names as leader. */
  private static List<DatanodeRegion> routedLeaders(TableRoutes routes) {
    List<DatanodeRegion> leaders = new ArrayList<>();
    for (PhysicalTableRouteValue route : routes.allPhysical((key, e) ->
        log.warn("region supervisor: skipping table route {}: {}", key, e.getMessage()))) {
      for (RegionRoute region : route.regionRoutes()) {
        if (region.leaderPeer() != null) {
          leaders.add(new DatanodeRegion(region.leaderPeer().id(), region.regionId()));
        }
      }
    }
    return leaders;
  }

  /** Forgets the nodes idle longer than {@code maxIdleMillis}, and the removed datanodes'
   * failure detectors with them. */
  void removeIdleNodes(long nowMillis, long maxIdleMillis) {
    if (!isLeader()) {
      return;
    }
    try {
      List<NodeInfoKey> removed = clusterView.removeIdleNodes(nowMillis, maxIdleMillis);
      removed.stream().filter(node -> node.role() == Role.DATANODE)
          .forEach(node -> detectors.removeDatanode(node.nodeId()));
      if (!removed.isEmpty()) {
        log.info("forgot {} node(s) idle longer than node_max_idle_time: {}", removed.size(),
            removed);
      }
    } catch (RuntimeException e) {
      log.warn("cannot remove idle nodes from the cluster view: {}", e.toString());
    }
  }

  /** Adds leader-only work; call before {@link #start()}. */
  public void addLeaderStateHandler(LeaderStateHandler handler) {
    if (state.get() != ServingState.STARTING) {
      throw new IllegalStateException("leader state handlers must be added before start");
    }
    handlers.add(handler);
  }

  /** Joins the election; this node serves as a follower until it is elected. */
  public void start() {
    if (!state.compareAndSet(ServingState.STARTING, ServingState.FOLLOWER)) {
      throw new IllegalStateException("metasrv already started (state " + state.get() + ")");
    }
    servingChanged();
    election.start(nodeInfo, change -> leaderEvents.execute(() -> onLeaderChange(change)));
  }

  public MetasrvNodeInfo nodeInfo() {
    return nodeInfo;
  }

  public ServingState state() {
    return state.get();
  }

  /** The store as anyone reads and writes it. */
  public KvBackend kv() {
    return kv;
  }

  /** The store as leader-only work writes it: every write checks this node's leader epoch. */
  public FencedKv leaderKv() {
    return leaderKv;
  }

  public Election election() {
    return election;
  }

  /**
   * Stops being a node: resigns leadership first so a peer takes over at once, then stops the
   * leader-only work. The store stays open for whoever owns it to close once nothing serves.
   */
  public void shutdown() {
    ServingState before = state.getAndUpdate(current ->
        current == ServingState.STOPPED ? current : ServingState.STOPPING);
    if (before == ServingState.STOPPING || before == ServingState.STOPPED) {
      return;
    }
    servingChanged();
    log.info("metasrv stopping: addr={}", nodeInfo.addr());
    election.close();
    leaderEvents.shutdown();
    leaderTimers.shutdownNow();
    try {
      if (!leaderEvents.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("leader state handlers did not stop within 30 s; interrupting them");
        leaderEvents.shutdownNow();
      }
    } catch (InterruptedException e) {
      leaderEvents.shutdownNow();
      Thread.currentThread().interrupt();
    }
    procedures.close();
    ddlSender.shutdownNow();
    state.set(ServingState.STOPPED);
    servingChanged();
  }

  private void onLeaderChange(LeaderChange change) {
    if (change instanceof LeaderChange.Elected elected) {
      becomeLeader(elected);
    } else if (change instanceof LeaderChange.StepDown stepDown) {
      becomeFollower(stepDown);
    }
  }

  private void becomeLeader(LeaderChange.Elected elected) {
    long epoch;
    try {
      epoch = leaderKv.acquire(elected.term());
    } catch (KvException e) {
      log.warn("elected but cannot take the leader epoch (term={}): {}; resigning",
          elected.term(), e.getMessage());
      election.resign();
      return;
    }
    log.info("leader elected: addr={} term={} epoch={}", elected.leaderAddr(), elected.term(),
        epoch);
    clusterView.leadershipChanged();
    tableIds = Sequence.tableIds(leaderKv).reservingAhead();
    try {
      kv.enable();
    } catch (KvException e) {
      log.warn("elected but cannot load the leader cache: {}; resigning", e.getMessage());
      leaderKv.release();
      election.resign();
      return;
    }
    for (LeaderStateHandler handler : handlers) {
      try {
        handler.onLeaderStart();
        started.add(handler);
      } catch (Exception e) {
        log.error("leader state handler {} failed to start; giving up leadership",
            handler.name(), e);
        leaderKv.release();
        kv.disable();
        stopStartedHandlers();
        election.resign();
        return;
      }
    }
    if (!state.compareAndSet(ServingState.FOLLOWER, ServingState.LEADER)) {
      log.info("leader start finished while the node is {}; not serving as leader", state.get());
    }
    servingChanged();
  }

  private void becomeFollower(LeaderChange.StepDown stepDown) {
    long epoch = leaderKv.heldEpoch();
    leaderKv.release();
    state.compareAndSet(ServingState.LEADER, ServingState.FOLLOWER);
    servingChanged();
    kv.disable();
    clusterView.leadershipChanged();
    mailbox.failPending("this metasrv stopped leading; no reply will reach it");
    stopStartedHandlers();
    log.info("leader stepped down: addr={} epoch={}", stepDown.leaderAddr(), epoch);
  }

  private void servingChanged() {
    for (Runnable listener : servingListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        log.warn("serving-change listener failed", e);
      }
    }
  }

  private void stopStartedHandlers() {
    for (int i = started.size() - 1; i >= 0; i--) {
      LeaderStateHandler handler = started.get(i);
      try {
        handler.onLeaderStop();
      } catch (Exception e) {
        log.error("leader state handler {} failed to stop", handler.name(), e);
      }
    }
    started.clear();
  }

  /** A fenced write found a newer epoch: another node leads now, so this one must not. */
  private void onFenced(long currentEpoch) {
    // the epoch this node wrote with may already be released (0) by a step-down under way
    log.warn("fenced: the stored leader epoch is now {}; stepping down", currentEpoch);
    leaderKv.release();
    election.resign();
  }

  @Override
  public NodeHealth health() {
    NodeHealth health = state.get().health();
    return health.serving() && !storeReachable.getAsBoolean() ? NodeHealth.NOT_SERVING : health;
  }

  @Override
  public long leaderEpoch() {
    return leaderKv.heldEpoch();
  }

  /**
   * This node while its election holds the leadership, otherwise the leader its election last
   * saw. For a moment after its leadership lapsed, that view can still name this node (the store
   * has not yet shown it the successor's key); it is then left out, so that {@code AskLeader}
   * and {@code /admin/leader} never send a client back to a node that will refuse it.
   */
  @Override
  public Optional<String> leaderAddr() {
    return election.isLeader() ? Optional.of(nodeInfo.addr()) : otherLeader();
  }

  /** Why a leader-only request is refused here, and where to go instead. */
  private NotLeaderException notLeader() {
    boolean startingAsLeader = election.isLeader() && state.get() == ServingState.FOLLOWER;
    return startingAsLeader ? NotLeaderException.startingAsLeader()
        : new NotLeaderException(otherLeader());
  }

  /** The leader the election saw, unless that is this node. */
  private Optional<String> otherLeader() {
    return election.leader().filter(addr -> !addr.equals(nodeInfo.addr()));
  }

  @Override
  public boolean maintenanceEnabled() {
    return maintenance.isEnabled();
  }

  @Override
  public boolean setMaintenance(boolean enabled) {
    if (!isLeader()) {
      throw notLeader();
    }
    boolean now;
    try {
      now = maintenance.set(enabled);
    } catch (FencedException e) {
      throw notLeader();
    }
    log.info("maintenance mode {}", now ? "enabled" : "disabled");
    return now;
  }

  @Override
  public String nodeLeasesJson() {
    if (!isLeader()) {
      throw notLeader();
    }
    return clusterReports.nodeLeases();
  }

  @Override
  public String heartbeatsJson(Optional<String> addr) {
    if (!isLeader()) {
      throw notLeader();
    }
    return clusterReports.heartbeats(addr);
  }

  @Override
  public String failedRegionsJson() {
    if (!isLeader()) {
      throw notLeader();
    }
    return FailedRegionsReport.json(supervisor.failedRegions());
  }

  @Override
  public String proceduresJson() {
    if (!isLeader()) {
      throw notLeader();
    }
    return ProceduresReport.json(procedures.list());
  }

  @Override
  public boolean procedureManagerPaused() {
    if (!isLeader()) {
      throw notLeader();
    }
    return procedures.isPaused();
  }

  @Override
  public boolean setProcedureManagerPaused(boolean paused) {
    if (!isLeader()) {
      throw notLeader();
    }
    try {
      procedurePause.set(paused);
    } catch (FencedException e) {
      throw notLeader();
    }
    if (paused) {
      procedures.pause();
    } else {
      procedures.resume();
    }
    log.info("procedure manager {} through the admin API", paused ? "paused" : "resumed");
    return paused;
  }

  @Override
  public long nextTableId() {
    return whileLeading(() -> tableIds.peek());
  }

  @Override
  public long setNextTableId(long nextId) {
    return whileLeading(() -> {
      tableIds.jumpTo(nextId);
      log.info("next table id set to {}", nextId);
      return nextId;
    });
  }

  @Override
  public long allocateTableId() {
    return whileLeading(() -> tableIds.next());
  }

  /**
   * Runs leader-only work and gives its answer only if this node still led once it was done: a
   * node paused past its leadership (and not yet told) may hand out an id from a range it
   * reserved while leading, and the successor may have handed out larger ones meanwhile.
   */
  private long whileLeading(java.util.function.LongSupplier work) {
    if (!isLeader()) {
      throw notLeader();
    }
    long answer;
    try {
      answer = work.getAsLong();
    } catch (FencedException e) {
      throw notLeader();
    }
    if (!isLeader()) {
      throw notLeader();
    }
    return answer;
  }

  // ---- GrpcBackend

  @Override
  public boolean isLeader() {
    return state.get() == ServingState.LEADER && election.isLeader();
  }

  @Override
  public boolean isServing() {
    return health().serving();
  }

  @Override
  public void onServingChange(Runnable listener) {
    servingListeners.add(listener);
  }

  @Override
  public List<MetasrvNodeInfo> candidates() {
    return election.allCandidates();
  }

  @Override
  public KvBackend store() {
    return kv;
  }

  @Override
  public boolean mayWrite(RangeRequest keys) {
    return isLeader() || !kv.overlapsCached(keys);
  }

  /** Starts empty after every leader change: a new leader rebuilds it from heartbeats. */
  @Override
  public KvBackend inMemoryView() {
    return clusterView.kv();
  }

  @Override
  public HeartbeatPipeline heartbeats() {
    return heartbeats;
  }

  @Override
  public ProcedureManager procedures() {
    return procedures;
  }

  @Override
  public RegionMigrationManager migrations() {
    return migrations;
  }

  @Override
  public Optional<DdlManager> ddl() {
    return ddl;
  }

  /** The leader's messages to nodes. */
  public Mailbox mailbox() {
    return mailbox;
  }
}
