package io.metasrv.failure;

import io.metasrv.config.FailureDetectorOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One {@link PhiAccrualFailureDetector} per region replica, keyed by (datanode id, region id), as
 * GreptimeDB's region supervisor keeps them.
 *
 * <p>A detector is created by the first heartbeat that mentions its region, or by
 * {@link #register} when a region is created or moved, which seeds it with the current time so
 * that the region has the acceptable pause to start heartbeating. It lives until removed: the
 * region was dropped or moved away ({@link #remove}), its datanode expired
 * ({@link #removeDatanode}), leadership changed ({@link #clear}), or its failure was handled.
 *
 * <p>Heartbeat timestamps and the clock given here must be the same millisecond clock (the
 * leader's). Thread-safe: heartbeats of many datanodes and the supervisor's ticks may run at once.
 */
public final class RegionFailureDetectors {
  private final FailureDetectorOptions options;
  private final LongSupplier clockMillis;
  private final Map<DatanodeRegion, PhiAccrualFailureDetector> detectors =
      new ConcurrentHashMap<>();

  /**
   * @param clockMillis the leader's clock in milliseconds, read by {@link #register} and
   *     {@link #failed}
   */
  public RegionFailureDetectors(FailureDetectorOptions options, LongSupplier clockMillis) {
    this.options = options;
    this.clockMillis = clockMillis;
  }

  /** Records that a heartbeat received at {@code timestampMillis} reported the region. */
  public void heartbeat(DatanodeRegion region, long timestampMillis) {
    detectors.computeIfAbsent(region, r -> new PhiAccrualFailureDetector(options))
        .heartbeat(timestampMillis);
  }

  /**
   * Starts watching regions that are expected to heartbeat from now on, as if each had just
   * heartbeated; regions already watched keep their history.
   */
  public void register(Collection<DatanodeRegion> regions) {
    long now = clockMillis.getAsLong();
    for (DatanodeRegion region : regions) {
      detectors.computeIfAbsent(region, r -> {
        PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(options);
        detector.heartbeat(now);
        return detector;
      });
    }
  }

  /** The regions whose detector judges them unavailable now, by datanode and region id. */
  public List<FailedRegion> failed() {
    long now = clockMillis.getAsLong();
    List<FailedRegion> failed = new ArrayList<>();
    detectors.forEach((region, detector) -> {
      double phi = detector.phi(now);
      if (phi >= detector.threshold()) {
        failed.add(new FailedRegion(region, phi, detector.lastHeartbeatMillis().orElseThrow()));
      }
    });
    failed.sort(Comparator.comparingLong((FailedRegion f) -> f.region().datanodeId())
        .thenComparingLong(f -> f.region().regionId()));
    return failed;
  }

  /** Stops watching a region replica (dropped, moved away, or its failure handled). */
  public void remove(DatanodeRegion region) {
    detectors.remove(region);
  }

  /** Stops watching several region replicas. */
  public void removeAll(Collection<DatanodeRegion> regions) {
    regions.forEach(detectors::remove);
  }

  /** Stops watching every region of a datanode (the node left the cluster). */
  public void removeDatanode(long datanodeId) {
    detectors.keySet().removeIf(region -> region.datanodeId() == datanodeId);
  }

  /** Forgets every detector, as a new leader starts. */
  public void clear() {
    detectors.clear();
  }

  public boolean contains(DatanodeRegion region) {
    return detectors.containsKey(region);
  }

  /** The number of region replicas watched. */
  public int size() {
    return detectors.size();
  }
}
