package io.metasrv.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.v1.AddColumnLocation;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.NodeInfo;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.CreateRequest;
import io.metasrv.protocol.region.RegionRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GreptimeDB datanode as the metasrv sees it (GreptimeDB d701c18150, {@code
 * src/datanode/src/heartbeat.rs} and {@code alive_keeper.rs}), without storage.
 *
 * <p>Every heartbeat interval (3 s by default) it sends its peer, node info, node epoch (its
 * start time in ms), {@code duration_since_epoch} (ms since its lease keeper's epoch on the
 * {@link MonotonicClock}) and a stat per open region with {@code rcus}/{@code wcus} 0, the
 * engine, the region's current role, {@code approximate_bytes} and the {@code
 * __region_statistic} extension.
 *
 * <p>Leases are kept as the datanode keeps them: each region's countdown starts when the first
 * stream is up, four intervals long; a response's {@code region_lease} sets every granted open
 * region's role and its deadline to {@code epoch + duration_since_epoch + lease_seconds}; at its
 * deadline a region turns Follower (read-only) and its countdown stops until the next grant;
 * {@code closeable_region_ids} are closed. A region is writable while it is open and Leader.
 *
 * <p>Mailbox instructions: {@code OpenRegion} opens the region as Follower, {@code CloseRegion}
 * closes it, {@code UpgradeRegion} makes it Leader at once (ready only when a replay timeout was
 * given, as GreptimeDB answers), {@code DowngradeRegion} makes it Follower and reports its last
 * entry id; each answered with GreptimeDB's reply JSON.
 *
 * <p>It records, per region, the intervals it was writable and the longest time without a lease,
 * on the shared clock, so that tests can compare datanodes ({@link WritableOverlaps}).
 *
 * <p>A datanode made with {@link SimulatedNodes#servingDatanode} also runs as a GreptimeDB
 * datanode does around its regions: it serves {@code /greptime.v1.region.Region/Handle} on its
 * address ({@link SimulatedRegionService}, faults injectable), where create opens a writable
 * Leader region (as mito does) with the request's columns, drop closes it, alter checks and bumps
 * the schema version and adds (at its location) or drops columns,
 * truncate, flush and compact need the region open, open opens it as Follower and close closes
 * it; a region that is not open answers RegionNotFound (4005) and a stale schema version
 * RequestOutdated (5001). Before its first heartbeat it opens, as Followers, the regions its
 * {@code __dn_table/{node_id}/} values list ({@link DatanodeTableScan}), read through the
 * metasrv's Store until a metasrv answers. One made with {@link SimulatedNodes#datanode} only
 * heartbeats: nothing listens on its address.
 */
public final class SimulatedDatanode extends SimulatedNode {
  private static final Logger log = LoggerFactory.getLogger(SimulatedDatanode.class);
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(3);
  static final String VERSION = "0.14.0";
  static final String GIT_COMMIT = "d701c181";
  private static final String REGION_STATISTIC_KEY = "__region_statistic";

  private final long nodeId;
  private final String addr;
  private final long nodeEpoch = System.currentTimeMillis();
  private final long keeperEpoch;
  private final Object regionLock = new Object();
  private final Map<Long, SimulatedRegion> regions = new HashMap<>();
  /**
   * No region's countdown ends before this, so {@link #settle()} has nothing to lapse until then:
   * without it every request walked every region (a benchmark's datanodes with tens of thousands
   * of regions spent 90% of their CPU there, one request at a time under the lock).
   */
  private long noLapseBefore = Long.MIN_VALUE;
  private boolean countdownStarted;
  /** Empty for a heartbeat-only datanode. */
  private final Optional<SimulatedRegionService> regionService;
  private final Optional<Server> regionServer;
  private final List<StartupRegion> startupRegions = new CopyOnWriteArrayList<>();

  /** A heartbeat-only datanode that says it serves at {@code addr}. */
  SimulatedDatanode(SimulatedNodes env, long nodeId, String addr) {
    super(env, Role.DATANODE, nodeId, DEFAULT_HEARTBEAT_INTERVAL);
    this.nodeId = nodeId;
    this.addr = addr;
    this.keeperEpoch = env.clock().nanoTime();
    this.regionService = Optional.empty();
    this.regionServer = Optional.empty();
  }

  /** A datanode serving the Region service on {@code bind} (port 0: a free one). */
  SimulatedDatanode(SimulatedNodes env, long nodeId, InetSocketAddress bind) {
    super(env, Role.DATANODE, nodeId, DEFAULT_HEARTBEAT_INTERVAL);
    this.nodeId = nodeId;
    this.keeperEpoch = env.clock().nanoTime();
    SimulatedRegionService service = new SimulatedRegionService(this);
    Server server = env.serve(bind, service.definition());
    this.regionService = Optional.of(service);
    this.regionServer = Optional.of(server);
    this.addr = bind.getHostString() + ":" + server.getPort();
  }

  /** GreptimeDB's RegionId: the table id in the high 32 bits, the region number below. */
  public static long regionId(long tableId, long regionNumber) {
    return tableId << 32 | (regionNumber & 0xFFFF_FFFFL);
  }

  public SimulatedDatanode withHeartbeatInterval(Duration interval) {
    setHeartbeatInterval(interval);
    return this;
  }

  public SimulatedDatanode withReconnectDelay(Duration delay) {
    setReconnectDelay(delay);
    return this;
  }

  /** Heartbeats only on {@link #heartbeatNow()}: for tests that drive a fake clock. */
  public SimulatedDatanode withManualHeartbeats() {
    setAutomaticHeartbeats(false);
    return this;
  }

  /** Opens a region with {@code role}: Leader as after create table, Follower as after open. */
  public SimulatedDatanode withRegion(long regionId, RegionRole role) {
    openRegion(regionId, role);
    return this;
  }

  public void openRegion(long regionId, RegionRole role) {
    synchronized (regionLock) {
      long now = settle();
      SimulatedRegion region = regions.computeIfAbsent(regionId, SimulatedRegion::new);
      if (!region.isOpen()) {
        region.open(role, now);
        if (countdownStarted) {
          startCountdown(region, now);
        }
      }
    }
  }

  /** Every Region/Handle request this datanode received, in arrival order. */
  public List<RegionRequest> regionRequests() {
    return serving().received();
  }

  /** The {@code grpc-encoding} of each region request, in arrival order. */
  public List<String> regionRequestEncodings() {
    return serving().encodings();
  }

  /** Region requests of one kind received, e.g. {@code DROP}. */
  public List<RegionRequest> regionRequests(RegionRequest.BodyCase kind) {
    return regionRequests().stream().filter(request -> request.getBodyCase() == kind).toList();
  }

  /** Every region request from now on meets {@code fault}, until {@link #healRegionRequests}. */
  public void failRegionRequests(RegionFault fault) {
    serving().inject(fault, Integer.MAX_VALUE);
  }

  /** The next {@code times} region requests meet {@code fault}; later ones are carried out. */
  public void failNextRegionRequests(int times, RegionFault fault) {
    if (times <= 0) {
      throw new IllegalArgumentException("times must be positive: " + times);
    }
    serving().inject(fault, times);
  }

  public void healRegionRequests() {
    serving().inject(null, 0);
  }

  /** The regions opened at start-up from {@code __dn_table}, in the order read. */
  public List<StartupRegion> startupRegions() {
    return List.copyOf(startupRegions);
  }

  private SimulatedRegionService serving() {
    return regionService.orElseThrow(() -> new IllegalStateException(
        this + " serves no Region service; make it with SimulatedNodes.servingDatanode"));
  }

  public void setRegionStatistic(long regionId, RegionStatistic statistic) {
    synchronized (regionLock) {
      known(regionId).setStatistic(statistic);
    }
  }

  public void setLastEntryId(long regionId, long lastEntryId) {
    synchronized (regionLock) {
      known(regionId).setLastEntryId(lastEntryId);
    }
  }

  public long nodeId() {
    return nodeId;
  }

  public String addr() {
    return addr;
  }

  /** The column names of a region, in order, as its create and alter requests left them. */
  public List<String> columns(long regionId) {
    synchronized (regionLock) {
      SimulatedRegion region = regions.get(regionId);
      return region == null ? List.of() : region.columns();
    }
  }

  public boolean isOpen(long regionId) {
    synchronized (regionLock) {
      settle();
      SimulatedRegion region = regions.get(regionId);
      return region != null && region.isOpen();
    }
  }

  /** Open and Leader on the clock now: a lapsed lease has already made it Follower. */
  public boolean isWritable(long regionId) {
    synchronized (regionLock) {
      settle();
      SimulatedRegion region = regions.get(regionId);
      return region != null && region.isWritable();
    }
  }

  /** The role of an open region; empty when it is closed or was never opened. */
  public Optional<RegionRole> role(long regionId) {
    synchronized (regionLock) {
      settle();
      SimulatedRegion region = regions.get(regionId);
      return region != null && region.isOpen() ? Optional.of(region.role()) : Optional.empty();
    }
  }

  public SortedSet<Long> openRegions() {
    synchronized (regionLock) {
      settle();
      TreeSet<Long> open = new TreeSet<>();
      regions.values().stream().filter(SimulatedRegion::isOpen).forEach(r -> open.add(r.regionId));
      return open;
    }
  }

  /** Every region this node ever opened, closed ones included. */
  public SortedSet<Long> regionsEverOpened() {
    synchronized (regionLock) {
      return new TreeSet<>(regions.keySet());
    }
  }

  /** When the region was writable, on the shared clock; the last one open-ended if it still is. */
  public List<WritableInterval> writableIntervals(long regionId) {
    synchronized (regionLock) {
      settle();
      SimulatedRegion region = regions.get(regionId);
      return region == null ? List.of() : region.writableIntervals();
    }
  }

  /** The longest time the open region went without a lease so far, the current gap included. */
  public Duration longestLeaseGap(long regionId) {
    synchronized (regionLock) {
      long now = settle();
      SimulatedRegion region = regions.get(regionId);
      return Duration.ofNanos(region == null ? 0 : region.longestGapNanos(now));
    }
  }

  @Override
  HeartbeatRequest.Builder identity() {
    return HeartbeatRequest.newBuilder()
        .setPeer(Peer.newBuilder().setId(nodeId).setAddr(addr))
        .setNodeEpoch(nodeEpoch)
        .setInfo(NodeInfo.newBuilder()
            .setVersion(VERSION)
            .setGitCommit(GIT_COMMIT)
            .setStartTimeMs(nodeEpoch)
            .setCpus(Runtime.getRuntime().availableProcessors()));
  }

  /**
   * The periodic heartbeat as this node would send it now: its open regions' stats. Public for
   * load generators that send many nodes' heartbeats over streams of their own.
   */
  @Override
  public HeartbeatRequest periodicRequest() {
    HeartbeatRequest.Builder request = identity().setHeader(header());
    synchronized (regionLock) {
      long now = settle();
      request.setDurationSinceEpoch((now - keeperEpoch) / 1_000_000);
      for (SimulatedRegion region : regions.values()) {
        if (region.isOpen()) {
          request.addRegionStats(stat(region));
        }
      }
    }
    return request.build();
  }

  private static RegionStat stat(SimulatedRegion region) {
    RegionStatistic statistic = region.statistic();
    return RegionStat.newBuilder()
        .setRegionId(region.regionId)
        .setRcus(0)
        .setWcus(0)
        .setApproximateBytes(statistic.approximateBytes())
        .setEngine(region.engine())
        .setRole(region.role())
        .putExtensions(REGION_STATISTIC_KEY,
            ByteString.copyFrom(statistic.json(), StandardCharsets.UTF_8))
        .build();
  }

  @Override
  void onConnected() {
    synchronized (regionLock) {
      if (!countdownStarted) {
        countdownStarted = true;
        long now = settle();
        for (SimulatedRegion region : regions.values()) {
          if (region.isOpen()) {
            startCountdown(region, now);
          }
        }
      }
    }
  }

  @Override
  void onAnswer(HeartbeatResponse response) {
    if (response.hasRegionLease()) {
      applyLease(response.getRegionLease());
    }
  }

  private void applyLease(RegionLease lease) {
    synchronized (regionLock) {
      long now = settle();
      long deadline = keeperEpoch + lease.getDurationSinceEpoch() * 1_000_000
          + lease.getLeaseSeconds() * 1_000_000_000;
      for (GrantedRegion granted : lease.getRegionsList()) {
        SimulatedRegion region = regions.get(granted.getRegionId());
        if (region == null || !region.isOpen()) {
          log.debug("datanode {} granted a lease on region {} it does not have", nodeId,
              granted.getRegionId());
          continue;
        }
        region.renew(granted.getRole(), deadline, now);
        noteDeadline(region);
      }
      for (long closeable : lease.getCloseableRegionIdsList()) {
        SimulatedRegion region = regions.get(closeable);
        if (region != null && region.isOpen()) {
          region.close(now);
        }
      }
    }
  }

  @Override
  Optional<String> onInstruction(JsonNode instruction) {
    synchronized (regionLock) {
      long now = settle();
      if (instruction.has("OpenRegion")) {
        JsonNode ident = instruction.get("OpenRegion").get("region_ident");
        long regionId = regionId(ident.get("table_id").asLong(), ident.get("region_number").asLong());
        SimulatedRegion region = regions.computeIfAbsent(regionId, SimulatedRegion::new);
        if (!region.isOpen()) {
          region.setEngine(ident.path("engine").asText("mito2"));
          region.open(RegionRole.Follower, now);
          if (countdownStarted) {
            startCountdown(region, now);
          }
        }
        return Optional.of(InstructionReplies.openRegion(true));
      }
      if (instruction.has("CloseRegion")) {
        JsonNode ident = instruction.get("CloseRegion");
        SimulatedRegion region = regions.get(
            regionId(ident.get("table_id").asLong(), ident.get("region_number").asLong()));
        if (region != null && region.isOpen()) {
          region.close(now);
        }
        // GreptimeDB answers success for a region it does not have.
        return Optional.of(InstructionReplies.closeRegion(true));
      }
      if (instruction.has("UpgradeRegion")) {
        JsonNode upgrade = instruction.get("UpgradeRegion");
        SimulatedRegion region = regions.get(upgrade.get("region_id").longValue());
        if (region == null || !region.isOpen()) {
          return Optional.of(InstructionReplies.upgradeRegion(false, false));
        }
        if (region.isWritable()) {
          return Optional.of(InstructionReplies.upgradeRegion(true, true));
        }
        // Catch-up finishes at once here; without a replay timeout GreptimeDB does not wait.
        region.setRole(RegionRole.Leader, now);
        boolean waited = upgrade.hasNonNull("replay_timeout");
        return Optional.of(InstructionReplies.upgradeRegion(waited, true));
      }
      if (instruction.has("DowngradeRegion")) {
        JsonNode downgrade = instruction.get("DowngradeRegion");
        SimulatedRegion region = regions.get(downgrade.get("region_id").longValue());
        if (region == null || !region.isOpen()) {
          return Optional.of(InstructionReplies.downgradeRegion(null, false));
        }
        region.setRole(RegionRole.Follower, now);
        return Optional.of(InstructionReplies.downgradeRegion(region.lastEntryId(), true));
      }
      log.warn("datanode {} got an instruction it does not know: {}", nodeId, instruction);
      return Optional.empty();
    }
  }

  /** Carries out a Region/Handle request; a refusal carries GreptimeDB's status code. */
  void apply(RegionRequest request) {
    synchronized (regionLock) {
      long now = settle();
      switch (request.getBodyCase()) {
        case CREATE -> create(request.getCreate(), now);
        case CREATES -> request.getCreates().getRequestsList().forEach(c -> create(c, now));
        case DROP -> drop(request.getDrop().getRegionId(), now);
        case DROPS -> request.getDrops().getRequestsList()
            .forEach(d -> drop(d.getRegionId(), now));
        case ALTER -> alter(request.getAlter());
        case ALTERS -> request.getAlters().getRequestsList().forEach(this::alter);
        case TRUNCATE -> requireOpen(request.getTruncate().getRegionId());
        case FLUSH -> requireOpen(request.getFlush().getRegionId());
        case COMPACT -> requireOpen(request.getCompact().getRegionId());
        case OPEN -> open(request.getOpen().getRegionId(), request.getOpen().getEngine(), now);
        case CLOSE -> {
          SimulatedRegion region = regions.get(request.getClose().getRegionId());
          if (region != null && region.isOpen()) {
            region.close(now);
          }
        }
        default -> throw new SimulatedRegionService.RefusedException(1001,
            "the simulated datanode does not handle " + request.getBodyCase() + " requests");
      }
    }
  }

  /** As mito: a new region is a writable Leader; creating an open region again is a no-op. */
  private void create(CreateRequest create, long now) {
    SimulatedRegion region = regions.computeIfAbsent(create.getRegionId(), SimulatedRegion::new);
    if (region.isOpen()) {
      return;
    }
    region.setEngine(create.getEngine());
    region.setSchemaVersion(0);
    region.setColumns(create.getColumnDefsList().stream()
        .map(column -> column.getColumnDef().getName()).toList());
    region.open(RegionRole.Leader, now);
    if (countdownStarted) {
      startCountdown(region, now);
    }
  }

  private void drop(long regionId, long now) {
    requireOpen(regionId).close(now);
  }

  private void alter(AlterRequest alter) {
    SimulatedRegion region = requireOpen(alter.getRegionId());
    if (alter.getSchemaVersion() != region.schemaVersion()) {
      throw new SimulatedRegionService.RefusedException(5001, "Region " + alter.getRegionId()
          + " schema version " + region.schemaVersion() + " is not the request's "
          + alter.getSchemaVersion());
    }
    for (var add : alter.getAddColumns().getAddColumnsList()) {
      boolean located = add.hasLocation();
      region.addColumn(add.getColumnDef().getColumnDef().getName(),
          located && add.getLocation().getLocationType() == AddColumnLocation.LocationType.FIRST,
          located && add.getLocation().getLocationType() == AddColumnLocation.LocationType.AFTER
              ? add.getLocation().getAfterColumnName() : null);
    }
    alter.getDropColumns().getDropColumnsList().forEach(drop -> region.dropColumn(drop.getName()));
    region.setSchemaVersion(region.schemaVersion() + 1);
  }

  /** Opens as Follower, as a datanode the metasrv controls opens a region. */
  private void open(long regionId, String engine, long now) {
    SimulatedRegion region = regions.computeIfAbsent(regionId, SimulatedRegion::new);
    if (!region.isOpen()) {
      region.setEngine(engine);
      region.open(RegionRole.Follower, now);
      if (countdownStarted) {
        startCountdown(region, now);
      }
    }
  }

  private SimulatedRegion requireOpen(long regionId) {
    SimulatedRegion region = regions.get(regionId);
    if (region == null || !region.isOpen()) {
      throw new SimulatedRegionService.RefusedException(4005,
          "Region " + regionId + " not found");
    }
    return region;
  }

  /** A serving datanode opens its __dn_table regions first, as GreptimeDB's build does. */
  @Override
  CompletableFuture<Void> beforeConnecting() {
    if (regionService.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> opened = new CompletableFuture<>();
    openStartupRegions(new DatanodeTableScan(env, nodeId, header()), opened);
    return opened;
  }

  private void openStartupRegions(DatanodeTableScan scan, CompletableFuture<Void> opened) {
    scan.regions().whenComplete((found, failure) -> {
      if (failure == null) {
        synchronized (regionLock) {
          long now = settle();
          for (StartupRegion region : found) {
            open(region.regionId(), region.engine(), now);
          }
          startupRegions.addAll(found);
        }
        log.info("datanode {} opened {} region(s) from __dn_table", nodeId, found.size());
        opened.complete(null);
      } else if (DatanodeTableScan.unwrap(failure)
          instanceof DatanodeTableScan.UndecodableValueException undecodable) {
        opened.completeExceptionally(undecodable);
      } else if (!isStopped()) {
        log.debug("datanode {} could not read __dn_table yet: {}", nodeId, failure.toString());
        env.timer().schedule(() -> openStartupRegions(scan, opened),
            reconnectDelay().toMillis(), TimeUnit.MILLISECONDS);
      }
    });
  }

  /** Stops heartbeating and, for a serving datanode, the Region service (its port is freed). */
  @Override
  public void stop() {
    super.stop();
    regionServer.ifPresent(server -> {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** Lets every countdown that ran out by now fire; returns now. Holds {@link #regionLock}. */
  private long settle() {
    long now = env.clock().nanoTime();
    if (now < noLapseBefore) {
      return now;
    }
    long earliest = SimulatedRegion.NO_DEADLINE;
    for (SimulatedRegion region : regions.values()) {
      region.lapseIfDue(now);
      earliest = Math.min(earliest, region.deadline());
    }
    noLapseBefore = earliest;
    return now;
  }

  private void startCountdown(SimulatedRegion region, long now) {
    region.startCountdown(now, heartbeatInterval().toNanos());
    noteDeadline(region);
  }

  /** Keeps {@link #noLapseBefore} at or before the region's new deadline. */
  private void noteDeadline(SimulatedRegion region) {
    noLapseBefore = Math.min(noLapseBefore, region.deadline());
  }

  private SimulatedRegion known(long regionId) {
    SimulatedRegion region = regions.get(regionId);
    if (region == null) {
      throw new IllegalArgumentException("datanode " + nodeId + " never opened region " + regionId);
    }
    return region;
  }

  @Override
  public String toString() {
    return "datanode " + nodeId + "@" + addr;
  }
}
