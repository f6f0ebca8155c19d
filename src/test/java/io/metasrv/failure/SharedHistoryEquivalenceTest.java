package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.config.FailureDetectorOptions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The shared-history detectors judge every region exactly as one GreptimeDB detector per region
 * would, whatever the pattern of heartbeats, registrations and removals: checked against a
 * detector per region, driven by the same random events under a fake clock.
 */
class SharedHistoryEquivalenceTest {
  private static final FailureDetectorOptions OPTIONS = FailureDetectorOptions.defaults();

  @Test
  void everyRegionIsJudgedAsItsOwnDetectorWouldJudgeIt() {
    int judgedFailed = 0;
    for (long seed = 1; seed <= 20; seed++) {
      judgedFailed += runScenario(new Random(seed));
    }
    assertThat(judgedFailed).as("the scenarios judge regions failed, too").isGreaterThan(100);
  }

  @Test
  void regionsReportedInEveryHeartbeatShareOneDetector() {
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors shared = new RegionFailureDetectors(OPTIONS, clock::get);
    List<Long> regions = new ArrayList<>();
    for (long r = 0; r < 100; r++) {
      regions.add(1024L << 32 | r);
    }
    for (int beat = 0; beat < 50; beat++) {
      shared.heartbeat(7, regions, clock.addAndGet(3_000));
    }
    assertThat(shared.size()).isEqualTo(100);
    assertThat(shared.detectorCount()).isEqualTo(1);

    shared.heartbeat(7, regions.subList(0, 60), clock.addAndGet(3_000));
    assertThat(shared.detectorCount()).as("the 60 reported diverge from the 40 not").isEqualTo(2);
    shared.removeAll(regions.subList(60, 100).stream()
        .map(region -> new DatanodeRegion(7, region)).toList());
    assertThat(shared.detectorCount()).isEqualTo(1);
  }

  /** Returns how many times a region was judged failed. */
  private static int runScenario(Random random) {
    int judgedFailed = 0;
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors shared = new RegionFailureDetectors(OPTIONS, clock::get);
    Map<DatanodeRegion, PhiAccrualFailureDetector> own = new HashMap<>();
    int datanodes = 3;
    int regionsPerDatanode = 12;
    for (int step = 0; step < 400; step++) {
      clock.addAndGet(500 + random.nextInt(random.nextInt(20) == 0 ? 30_000 : 4_000));
      int event = random.nextInt(20);
      long datanode = 1 + random.nextInt(datanodes);
      if (event == 0) {
        List<DatanodeRegion> registered = randomRegions(random, datanode, regionsPerDatanode);
        shared.register(registered);
        for (DatanodeRegion region : registered) {
          own.computeIfAbsent(region, r -> {
            PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(OPTIONS);
            detector.heartbeat(clock.get());
            return detector;
          });
        }
      } else if (event == 1) {
        List<DatanodeRegion> removed = randomRegions(random, datanode, regionsPerDatanode);
        shared.removeAll(removed);
        removed.forEach(own::remove);
      } else {
        List<DatanodeRegion> reported = randomRegions(random, datanode, regionsPerDatanode);
        shared.heartbeat(datanode, reported.stream().map(DatanodeRegion::regionId).toList(),
            clock.get());
        for (DatanodeRegion region : reported) {
          own.computeIfAbsent(region, r -> new PhiAccrualFailureDetector(OPTIONS))
              .heartbeat(clock.get());
        }
      }
      List<FailedRegion> failed = shared.failed();
      assertThat(failed).isEqualTo(failedByOwnDetectors(own, clock.get()));
      judgedFailed += failed.size();
      assertThat(shared.size()).isEqualTo(own.size());
    }
    assertThat(shared.detectorCount()).isLessThanOrEqualTo(own.size());
    return judgedFailed;
  }

  /** Most heartbeats report most regions; some report a few. */
  private static List<DatanodeRegion> randomRegions(Random random, long datanode, int count) {
    int keepPercent = random.nextInt(4) == 0 ? 30 : 95;
    List<DatanodeRegion> regions = new ArrayList<>();
    for (int r = 0; r < count; r++) {
      if (random.nextInt(100) < keepPercent) {
        regions.add(new DatanodeRegion(datanode, 4096L << 32 | r));
      }
    }
    return regions;
  }

  private static List<FailedRegion> failedByOwnDetectors(
      Map<DatanodeRegion, PhiAccrualFailureDetector> own, long now) {
    List<FailedRegion> failed = new ArrayList<>();
    own.forEach((region, detector) -> {
      double phi = detector.phi(now);
      if (phi >= detector.threshold()) {
        failed.add(new FailedRegion(region, phi, detector.lastHeartbeatMillis().orElseThrow()));
      }
    });
    failed.sort(Comparator.comparingLong((FailedRegion f) -> f.region().datanodeId())
        .thenComparingLong(f -> f.region().regionId()));
    return failed;
  }
}
