package io.metasrv.bench;

import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.failure.DatanodeRegion;
import io.metasrv.failure.FailedRegion;
import io.metasrv.failure.PhiAccrualFailureDetector;
import io.metasrv.failure.RegionFailureDetectors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Heap per watched region and time to judge every region, for our shared-history detectors
 * beside GreptimeDB's layout (one detector per region in a concurrent map), with full histories
 * (1000 heartbeats every 3 s). Run it with {@code bench/failure-detectors [datanodes]
 * [regions-per-datanode]} (defaults 1000 × 100: the per-region layout needs about 8 KB a region).
 */
public final class FailureDetectorsBench {
  private static final int HEARTBEATS = 1000;

  public static void main(String[] args) {
    int datanodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int regionsPerDatanode = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    long regions = (long) datanodes * regionsPerDatanode;
    FailureDetectorOptions options = FailureDetectorOptions.defaults();
    long start = 1_000_000;
    long end = start + 3_000L * (HEARTBEATS - 1);
    System.out.printf("%d datanodes x %d regions = %d regions, %d heartbeats each%n", datanodes,
        regionsPerDatanode, regions, HEARTBEATS);

    long before = usedHeap();
    AtomicLong clock = new AtomicLong();
    RegionFailureDetectors shared = new RegionFailureDetectors(options, clock::get);
    List<List<Long>> regionIds = new ArrayList<>();
    for (int d = 0; d < datanodes; d++) {
      List<Long> ids = new ArrayList<>(regionsPerDatanode);
      for (int r = 0; r < regionsPerDatanode; r++) {
        ids.add((1024L + d) << 32 | r);
      }
      regionIds.add(ids);
    }
    for (int beat = 0; beat < HEARTBEATS; beat++) {
      long now = start + 3_000L * beat;
      for (int d = 0; d < datanodes; d++) {
        shared.heartbeat(d + 1, regionIds.get(d), now);
      }
    }
    long sharedBytes = usedHeap() - before;
    clock.set(end + 1_000);
    long sharedQuietNanos = timeTicks(() -> shared.failed().size());
    clock.set(end + 14_000);
    long sharedFailedNanos = timeTicks(() -> shared.failed().size());

    Map<DatanodeRegion, PhiAccrualFailureDetector> perRegion = new ConcurrentHashMap<>();
    long beforeBaseline = usedHeap();
    for (int beat = 0; beat < HEARTBEATS; beat++) {
      long now = start + 3_000L * beat;
      for (int d = 0; d < datanodes; d++) {
        for (long regionId : regionIds.get(d)) {
          perRegion.computeIfAbsent(new DatanodeRegion(d + 1, regionId),
              r -> new PhiAccrualFailureDetector(options)).heartbeat(now);
        }
      }
    }
    long perRegionBytes = usedHeap() - beforeBaseline;
    long perRegionQuietNanos = timeTicks(() -> failedOf(perRegion, end + 1_000).size());
    long perRegionFailedNanos = timeTicks(() -> failedOf(perRegion, end + 14_000).size());

    System.out.printf("shared histories: %,d detectors, %,d bytes/region, a tick with none failed"
        + " %.1f ms, with all failed %.1f ms%n", shared.detectorCount(), sharedBytes / regions,
        sharedQuietNanos / 1e6, sharedFailedNanos / 1e6);
    System.out.printf("one per region:   %,d detectors, %,d bytes/region, a tick with none failed"
        + " %.1f ms, with all failed %.1f ms%n", perRegion.size(), perRegionBytes / regions,
        perRegionQuietNanos / 1e6, perRegionFailedNanos / 1e6);
    System.out.printf("ratio shared / per region: memory %.4f, tick none failed %.3f, all failed"
        + " %.3f%n", (double) sharedBytes / perRegionBytes,
        (double) sharedQuietNanos / perRegionQuietNanos,
        (double) sharedFailedNanos / perRegionFailedNanos);
    System.out.printf("failed at the end: shared %d, per region %d%n", shared.failed().size(),
        failedOf(perRegion, end + 14_000).size());
  }

  /** What a tick over one detector per region computes: the failed ones, sorted. */
  private static List<FailedRegion> failedOf(
      Map<DatanodeRegion, PhiAccrualFailureDetector> perRegion, long now) {
    List<FailedRegion> failed = new ArrayList<>();
    perRegion.forEach((region, detector) -> {
      double phi = detector.phi(now);
      if (phi >= detector.threshold()) {
        failed.add(new FailedRegion(region, phi, detector.lastHeartbeatMillis().orElseThrow()));
      }
    });
    failed.sort(Comparator.comparingLong((FailedRegion f) -> f.region().datanodeId())
        .thenComparingLong(f -> f.region().regionId()));
    return failed;
  }

  /** The best of five rounds of judging every region. */
  private static long timeTicks(java.util.function.IntSupplier judgeAll) {
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      long started = System.nanoTime();
      judgeAll.getAsInt();
      best = Math.min(best, System.nanoTime() - started);
    }
    return best;
  }

  private static long usedHeap() {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }
}
