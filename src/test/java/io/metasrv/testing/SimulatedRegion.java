package io.metasrv.testing;

import io.metasrv.protocol.RegionRole;
import java.util.ArrayList;
import java.util.List;

/**
 * One region on a simulated datanode: its role, its lease deadline as GreptimeDB's {@code
 * RegionAliveKeeper} counts it down, and what happened to it (writable intervals, lease gaps).
 * Kept across close and reopen. Guarded by the owning datanode's lock.
 */
final class SimulatedRegion {
  /** No countdown running: never started, or lapsed (GreptimeDB's far-future deadline). */
  static final long NO_DEADLINE = Long.MAX_VALUE;

  final long regionId;
  private boolean open;
  private RegionRole role = RegionRole.Follower;
  private long deadline = NO_DEADLINE;
  private String engine = "mito2";
  private RegionStatistic statistic = RegionStatistic.EMPTY;
  private long lastEntryId;
  private long schemaVersion;
  private final List<String> columns = new ArrayList<>();
  private long writableSince = -1;
  private final List<WritableInterval> writable = new ArrayList<>();
  private long leasedUntil = Long.MIN_VALUE;
  private long longestGap;

  SimulatedRegion(long regionId) {
    this.regionId = regionId;
  }

  void open(RegionRole initialRole, long now) {
    open = true;
    setRole(initialRole, now);
  }

  /** Starts the countdown: the first deadline is four heartbeat intervals away. */
  void startCountdown(long now, long intervalNanos) {
    if (deadline == NO_DEADLINE) {
      deadline = now + 4 * intervalNanos;
      cover(now, deadline);
    }
  }

  /** A granted lease: the role the metasrv gives and a new deadline. */
  void renew(RegionRole granted, long newDeadline, long now) {
    setRole(granted, now);
    cover(now, newDeadline);
    deadline = newDeadline;
    lapseIfDue(now);
  }

  /** The countdown fires: the region turns follower at its deadline, not when noticed. */
  void lapseIfDue(long now) {
    if (deadline != NO_DEADLINE && deadline <= now) {
      long at = deadline;
      deadline = NO_DEADLINE;
      setRole(RegionRole.Follower, at);
    }
  }

  void close(long now) {
    setRole(RegionRole.Follower, now);
    open = false;
    deadline = NO_DEADLINE;
    longestGap = longestGapNanos(now);
    leasedUntil = Long.MIN_VALUE;
  }

  void setRole(RegionRole newRole, long at) {
    boolean wasWritable = isWritable();
    role = newRole;
    boolean writableNow = isWritable();
    if (!wasWritable && writableNow) {
      writableSince = at;
    } else if (wasWritable && !writableNow) {
      writable.add(new WritableInterval(writableSince, Math.max(writableSince, at)));
      writableSince = -1;
    }
  }

  private void cover(long now, long until) {
    if (leasedUntil != Long.MIN_VALUE && now > leasedUntil) {
      longestGap = Math.max(longestGap, now - leasedUntil);
    }
    leasedUntil = Math.max(leasedUntil, until);
  }

  boolean isOpen() {
    return open;
  }

  boolean isWritable() {
    return open && role == RegionRole.Leader;
  }

  RegionRole role() {
    return role;
  }

  long deadline() {
    return deadline;
  }

  String engine() {
    return engine;
  }

  void setEngine(String engine) {
    this.engine = engine;
  }

  RegionStatistic statistic() {
    return statistic;
  }

  void setStatistic(RegionStatistic statistic) {
    this.statistic = statistic;
  }

  long lastEntryId() {
    return lastEntryId;
  }

  void setLastEntryId(long lastEntryId) {
    this.lastEntryId = lastEntryId;
  }

  /** The schema version an alter must name; 0 at create, one more after each alter. */
  long schemaVersion() {
    return schemaVersion;
  }

  void setSchemaVersion(long schemaVersion) {
    this.schemaVersion = schemaVersion;
  }

  /** The region's column names in order, as its create and alters left them. */
  List<String> columns() {
    return List.copyOf(columns);
  }

  void setColumns(List<String> names) {
    columns.clear();
    columns.addAll(names);
  }

  /** As mito adds a column: at the front, after a column, or last; a known name is skipped. */
  void addColumn(String name, boolean first, String after) {
    if (columns.contains(name)) {
      return;
    }
    if (first) {
      columns.add(0, name);
    } else if (after != null && columns.contains(after)) {
      columns.add(columns.indexOf(after) + 1, name);
    } else {
      columns.add(name);
    }
  }

  void dropColumn(String name) {
    columns.remove(name);
  }

  List<WritableInterval> writableIntervals() {
    List<WritableInterval> all = new ArrayList<>(writable);
    if (writableSince >= 0) {
      all.add(new WritableInterval(writableSince, WritableInterval.OPEN));
    }
    return all;
  }

  /** The longest stretch without a lease while open so far, the current one included. */
  long longestGapNanos(long now) {
    if (leasedUntil == Long.MIN_VALUE) {
      return longestGap;
    }
    return Math.max(longestGap, now - leasedUntil);
  }
}
