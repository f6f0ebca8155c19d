package io.metasrv.failure;

import io.metasrv.config.FailureDetectorOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A {@link PhiAccrualFailureDetector} per region replica, keyed by (datanode id, region id), as
 * GreptimeDB's region supervisor keeps them, judging every replica exactly as GreptimeDB does,
 * in a fraction of the memory.
 *
 * <p>A detector is created by the first heartbeat that mentions its region, or by
 * {@link #register} when a region is created or moved, which seeds it with the current time so
 * that the region has the acceptable pause to start heartbeating. It lives until removed: the
 * region was dropped or moved away ({@link #remove}), its datanode expired
 * ({@link #removeDatanode}), leadership changed ({@link #clear}), or its failure was handled.
 *
 * <p><b>Shared histories.</b> A detector holds the last 1000 heartbeat intervals (8 KB), and a
 * datanode reports all its regions in the same heartbeats, so their detectors hold the same
 * numbers. Regions of a datanode whose detectors are in the same state (same history, same last
 * heartbeat) therefore share one detector, a <i>cohort</i>: the regions first seen in the same
 * heartbeat, or registered together. A heartbeat that reports every member of a cohort updates
 * the shared detector once; one that reports only some of them gives those a copy, updated, as
 * a cohort of their own (copy on divergence). Cohorts whose detectors reach the same state
 * again (same last heartbeat, same intervals in the same order) merge back into one: a region
 * missing from one heartbeat carries that longer interval until 1000 newer ones have pushed it
 * out of its history, and from then on its cohort and the others are one again. So every region
 * is judged on exactly the history its own detector would have under GreptimeDB, while a
 * datanode with 100 regions reported in every heartbeat costs one detector, not 100, also some
 * time after a blip; judging all of them costs one phi per cohort.
 *
 * <p>Heartbeat timestamps and the clock given here must be the same millisecond clock (the
 * leader's). Thread-safe: heartbeats of many datanodes and the supervisor's ticks may run at
 * once; each datanode's detectors are guarded by their own lock.
 */
public final class RegionFailureDetectors {
  private final FailureDetectorOptions options;
  private final LongSupplier clockMillis;
  private final Map<Long, DatanodeDetectors> datanodes = new ConcurrentHashMap<>();

  /**
   * @param clockMillis the leader's clock in milliseconds, read by {@link #register} and
   *     {@link #failed}
   */
  public RegionFailureDetectors(FailureDetectorOptions options, LongSupplier clockMillis) {
    this.options = options;
    this.clockMillis = clockMillis;
  }

  /** Records that a heartbeat of {@code datanodeId} received at {@code timestampMillis} reported
   * {@code regionIds}. */
  public void heartbeat(long datanodeId, long[] regionIds, long timestampMillis) {
    if (regionIds.length == 0) {
      return;
    }
    datanode(datanodeId).heartbeat(regionIds, timestampMillis);
  }

  /** Records that a heartbeat of {@code datanodeId} received at {@code timestampMillis} reported
   * {@code regionIds}. */
  public void heartbeat(long datanodeId, Collection<Long> regionIds, long timestampMillis) {
    heartbeat(datanodeId, regionIds.stream().mapToLong(Long::longValue).toArray(),
        timestampMillis);
  }

  /** Records that a heartbeat received at {@code timestampMillis} reported the region. */
  public void heartbeat(DatanodeRegion region, long timestampMillis) {
    heartbeat(region.datanodeId(), List.of(region.regionId()), timestampMillis);
  }

  /**
   * Starts watching regions that are expected to heartbeat from now on, as if each had just
   * heartbeated; regions already watched keep their history.
   */
  public void register(Collection<DatanodeRegion> regions) {
    long now = clockMillis.getAsLong();
    Map<Long, List<Long>> byDatanode = new LinkedHashMap<>();
    regions.forEach(region -> byDatanode.computeIfAbsent(region.datanodeId(),
        id -> new ArrayList<>()).add(region.regionId()));
    byDatanode.forEach((datanodeId, regionIds) -> datanode(datanodeId).register(regionIds, now));
  }

  /** The regions whose detector judges them unavailable now, by datanode and region id. */
  public List<FailedRegion> failed() {
    long now = clockMillis.getAsLong();
    List<FailedRegion> failed = new ArrayList<>();
    datanodes.forEach((datanodeId, detectors) -> detectors.collectFailed(now, failed));
    failed.sort(Comparator.comparingLong((FailedRegion f) -> f.region().datanodeId())
        .thenComparingLong(f -> f.region().regionId()));
    return failed;
  }

  /** Stops watching a region replica (dropped, moved away, or its failure handled). */
  public void remove(DatanodeRegion region) {
    DatanodeDetectors detectors = datanodes.get(region.datanodeId());
    if (detectors != null) {
      detectors.remove(region.regionId());
    }
  }

  /** Stops watching several region replicas. */
  public void removeAll(Collection<DatanodeRegion> regions) {
    regions.forEach(this::remove);
  }

  /** Stops watching every region of a datanode (the node left the cluster). */
  public void removeDatanode(long datanodeId) {
    datanodes.remove(datanodeId);
  }

  /** Forgets every detector, as a new leader starts. */
  public void clear() {
    datanodes.clear();
  }

  public boolean contains(DatanodeRegion region) {
    DatanodeDetectors detectors = datanodes.get(region.datanodeId());
    return detectors != null && detectors.contains(region.regionId());
  }

  /** The number of region replicas watched. */
  public int size() {
    return datanodes.values().stream().mapToInt(DatanodeDetectors::size).sum();
  }

  /** The number of distinct detectors kept for them (at most {@link #size()}). */
  public int detectorCount() {
    return datanodes.values().stream().mapToInt(DatanodeDetectors::cohortCount).sum();
  }

  private DatanodeDetectors datanode(long datanodeId) {
    return datanodes.computeIfAbsent(datanodeId, DatanodeDetectors::new);
  }

  /** Regions sharing one detector, and how many of them there are. */
  private static final class Cohort {
    final PhiAccrualFailureDetector detector;
    int members;

    Cohort(PhiAccrualFailureDetector detector) {
      this.detector = detector;
    }
  }

  /** One datanode's regions and their cohorts; every method holds this object's lock. */
  private final class DatanodeDetectors {
    private final long datanodeId;
    private final RegionCohortMap<Cohort> cohortOf = new RegionCohortMap<>();
    /** The cohorts with at least one member. */
    private final Set<Cohort> cohorts = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The cohort the last {@link #register} joined regions to; null before any. */
    private Cohort lastRegistered;

    DatanodeDetectors(long datanodeId) {
      this.datanodeId = datanodeId;
    }

    synchronized void heartbeat(long[] regionIds, long timestampMillis) {
      if (cohorts.size() == 1) {
        Cohort only = cohorts.iterator().next();
        if (reportsExactlyTheMembersOf(only, regionIds)) {
          // The usual heartbeat: every region, in one cohort. What the general case below does
          // for it, without grouping the regions first.
          only.detector.heartbeat(timestampMillis);
          return;
        }
      }
      Map<Cohort, List<Long>> reported = new IdentityHashMap<>();
      List<Long> unseen = new ArrayList<>();
      Set<Long> distinct = new LinkedHashSet<>();
      for (long regionId : regionIds) {
        distinct.add(regionId);
      }
      for (Long regionId : distinct) {
        Cohort cohort = cohortOf.get(regionId);
        if (cohort == null) {
          unseen.add(regionId);
        } else {
          reported.computeIfAbsent(cohort, c -> new ArrayList<>()).add(regionId);
        }
      }
      reported.forEach((cohort, members) -> {
        if (members.size() == cohort.members) {
          cohort.detector.heartbeat(timestampMillis);
        } else {
          Cohort diverged = new Cohort(new PhiAccrualFailureDetector(cohort.detector));
          diverged.detector.heartbeat(timestampMillis);
          members.forEach(regionId -> move(regionId, cohort, diverged));
        }
      });
      if (!unseen.isEmpty()) {
        Cohort joined = new Cohort(new PhiAccrualFailureDetector(options));
        joined.detector.heartbeat(timestampMillis);
        unseen.forEach(regionId -> join(regionId, joined));
      }
      mergeIdenticalCohorts();
    }

    /** Whether the distinct {@code regionIds} are the members of {@code cohort}, all of them. */
    private boolean reportsExactlyTheMembersOf(Cohort cohort, long[] regionIds) {
      if (regionIds.length < cohort.members) {
        return false;
      }
      for (long regionId : regionIds) {
        if (cohortOf.get(regionId) != cohort) {
          return false;
        }
      }
      long[] ids = regionIds.clone();
      Arrays.sort(ids);
      int distinct = 1;
      for (int j = 1; j < ids.length; j++) {
        distinct += ids[j] != ids[j - 1] ? 1 : 0;
      }
      return distinct == cohort.members;
    }

    /**
     * Joins the regions not watched yet to a cohort seeded at {@code nowMillis}: the previous
     * registration's, while it is still in that state, else a new one. No merge of all the
     * cohorts: that walk costs O(cohorts), and a create registers its regions, so a datanode
     * gaining thousands of tables paid it thousands of times; the next heartbeat merges.
     */
    synchronized void register(List<Long> regionIds, long nowMillis) {
      PhiAccrualFailureDetector seeded = new PhiAccrualFailureDetector(options);
      seeded.heartbeat(nowMillis);
      Cohort joined = lastRegistered != null && lastRegistered.detector.sameStateAs(seeded)
          ? lastRegistered : new Cohort(seeded);
      for (Long regionId : regionIds) {
        if (!cohortOf.containsKey(regionId)) {
          join(regionId, joined);
        }
      }
      lastRegistered = joined;
    }

    synchronized void collectFailed(long nowMillis, List<FailedRegion> failed) {
      Map<Cohort, Double> failedCohorts = new IdentityHashMap<>();
      for (Cohort cohort : cohorts) {
        double phi = cohort.detector.phi(nowMillis);
        if (phi >= cohort.detector.threshold()) {
          failedCohorts.put(cohort, phi);
        }
      }
      if (failedCohorts.isEmpty()) {
        return;
      }
      cohortOf.forEach((regionId, cohort) -> {
        Double phi = failedCohorts.get(cohort);
        if (phi != null) {
          failed.add(new FailedRegion(new DatanodeRegion(datanodeId, regionId), phi,
              cohort.detector.lastHeartbeatMillis().orElseThrow()));
        }
      });
    }

    synchronized void remove(long regionId) {
      Cohort cohort = cohortOf.remove(regionId);
      if (cohort != null) {
        leave(cohort);
      }
    }

    synchronized boolean contains(long regionId) {
      return cohortOf.containsKey(regionId);
    }

    synchronized int size() {
      return cohortOf.size();
    }

    synchronized int cohortCount() {
      return cohorts.size();
    }

    /**
     * Makes cohorts whose detectors are in the same state one cohort, after each heartbeat (the
     * only thing that changes a detector): identical detectors are merged by the datanode's next
     * heartbeat at the latest. Costs nothing while the datanode has one cohort.
     */
    private void mergeIdenticalCohorts() {
      if (cohorts.size() < 2) {
        return;
      }
      Map<Long, List<Cohort>> byStateHash = new HashMap<>();
      Map<Cohort, Cohort> mergedInto = new IdentityHashMap<>();
      for (Cohort cohort : cohorts) {
        List<Cohort> sameHash = byStateHash.computeIfAbsent(cohort.detector.stateHash(),
            hash -> new ArrayList<>(1));
        Cohort twin = sameHash.stream()
            .filter(kept -> kept.detector.sameStateAs(cohort.detector))
            .findFirst().orElse(null);
        if (twin == null) {
          sameHash.add(cohort);
        } else {
          mergedInto.put(cohort, twin);
        }
      }
      if (mergedInto.isEmpty()) {
        return;
      }
      mergedInto.forEach((merged, twin) -> {
        twin.members += merged.members;
        cohorts.remove(merged);
      });
      cohortOf.replaceAll(cohort -> mergedInto.getOrDefault(cohort, cohort));
    }

    private void join(long regionId, Cohort cohort) {
      cohortOf.put(regionId, cohort);
      cohort.members++;
      cohorts.add(cohort);
    }

    private void leave(Cohort cohort) {
      cohort.members--;
      if (cohort.members == 0) {
        cohorts.remove(cohort);
      }
    }

    private void move(long regionId, Cohort from, Cohort to) {
      leave(from);
      join(regionId, to);
    }
  }
}
