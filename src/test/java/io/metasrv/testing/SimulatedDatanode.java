package io.metasrv.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.NodeInfo;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
  private boolean countdownStarted;

  SimulatedDatanode(SimulatedNodes env, long nodeId, String addr) {
    super(env, Role.DATANODE, nodeId, DEFAULT_HEARTBEAT_INTERVAL);
    this.nodeId = nodeId;
    this.addr = addr;
    this.keeperEpoch = env.clock().nanoTime();
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
          region.startCountdown(now, heartbeatInterval().toNanos());
        }
      }
    }
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
            region.startCountdown(now, heartbeatInterval().toNanos());
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
            region.startCountdown(now, heartbeatInterval().toNanos());
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

  /** Lets every countdown that ran out by now fire; returns now. Holds {@link #regionLock}. */
  private long settle() {
    long now = env.clock().nanoTime();
    for (SimulatedRegion region : regions.values()) {
      region.lapseIfDue(now);
    }
    return now;
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
