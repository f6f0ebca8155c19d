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
 * detector per region, driven by the same random events under a fake clock; and cohorts that
 * diverged merge back once their histories are the same again.
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

  @Test
  void aDatanodeReturnsToOneDetectorOnceABlipHasLeftTheHistory() {
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors shared = new RegionFailureDetectors(OPTIONS, clock::get);
    List<Long> regions = new ArrayList<>();
    for (long r = 0; r < 100; r++) {
      regions.add(1024L << 32 | r);
    }
    for (int beat = 0; beat < 1001; beat++) {
      shared.heartbeat(7, regions, clock.addAndGet(3_000));
    }
    shared.heartbeat(7, regions.subList(0, 60), clock.addAndGet(3_000));
    assertThat(shared.detectorCount()).isEqualTo(2);

    // the 40 regions missing from that heartbeat learn one 6 s interval at the next, where the
    // 60 learn two of 3 s; it leaves their 1000-interval history with the 1000th heartbeat
    // after it, and only then are both histories the same
    for (int beat = 0; beat < 1000; beat++) {
      shared.heartbeat(7, regions, clock.addAndGet(3_000));
    }
    assertThat(shared.detectorCount()).as("the 6 s interval is still remembered").isEqualTo(2);
    shared.heartbeat(7, regions, clock.addAndGet(3_000));
    assertThat(shared.detectorCount()).isEqualTo(1);
    assertThat(shared.size()).isEqualTo(100);

    // one cohort again, diverging and judged as before
    shared.heartbeat(7, regions.subList(0, 99), clock.addAndGet(3_000));
    assertThat(shared.detectorCount()).isEqualTo(2);
    long lastOfRegion99 = clock.get() - 3_000;
    clock.addAndGet(13_522);
    assertThat(shared.failed()).extracting(failed -> failed.region().regionId())
        .as("region 99, silent for 16.5 s, and none of the others")
        .containsExactly(regions.get(99));
    assertThat(shared.failed().get(0).lastHeartbeatMillis()).isEqualTo(lastOfRegion99);
  }

  @Test
  void detectorsInTheSameStateAreOneWhateverMadeThem() {
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors shared = new RegionFailureDetectors(OPTIONS, clock::get);
    shared.register(List.of(new DatanodeRegion(7, 1), new DatanodeRegion(7, 2)));
    shared.heartbeat(7, List.of(3L), clock.get());
    assertThat(shared.detectorCount())
        .as("registered now and first heartbeat now: the same seeded history").isEqualTo(1);

    shared.heartbeat(7, List.of(1L, 2L, 3L, 4L), clock.addAndGet(3_000));
    assertThat(shared.detectorCount()).as("region 4 starts from the estimate").isEqualTo(2);
    assertThat(shared.size()).isEqualTo(4);
  }

  @Test
  void registrationsAtOneInstantShareADetectorAndAHeartbeatMergesTheRest() {
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors shared = new RegionFailureDetectors(OPTIONS, clock::get);
    shared.register(List.of(new DatanodeRegion(7, 1)));
    shared.register(List.of(new DatanodeRegion(7, 2)));
    assertThat(shared.detectorCount()).isEqualTo(1);
    clock.addAndGet(5);
    shared.register(List.of(new DatanodeRegion(7, 3)));
    shared.heartbeat(7, List.of(4L), clock.get());
    assertThat(shared.detectorCount())
        .as("region 3 seeded at another instant; region 4's first heartbeat merged with it")
        .isEqualTo(2);
    assertThat(shared.size()).isEqualTo(4);
  }

  /** Returns how many times a region was judged failed. */
  private static int runScenario(Random random) {
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors shared = new RegionFailureDetectors(OPTIONS, clock::get);
    Map<DatanodeRegion, PhiAccrualFailureDetector> own = new HashMap<>();
    int datanodes = 3;
    int regionsPerDatanode = 12;
    int judgedFailed = randomEvents(random, 400, clock, shared, own, datanodes,
        regionsPerDatanode);
    assertThat(shared.detectorCount()).isLessThanOrEqualTo(own.size());

    // every datanode reports all its regions in 1002 heartbeats, under 4.5 s apart so that
    // every detector learns every interval: each region's history is now the last 1000 of
    // them, the same for all regions of a datanode, whatever came before
    List<DatanodeRegion> all = new ArrayList<>();
    for (long datanode = 1; datanode <= datanodes; datanode++) {
      for (int r = 0; r < regionsPerDatanode; r++) {
        all.add(new DatanodeRegion(datanode, 4096L << 32 | r));
      }
    }
    for (int beat = 0; beat < 1002; beat++) {
      clock.addAndGet(500 + random.nextInt(4_000));
      for (long datanode = 1; datanode <= datanodes; datanode++) {
        long reporting = datanode;
        List<DatanodeRegion> reported =
            all.stream().filter(region -> region.datanodeId() == reporting).toList();
        heartbeat(shared, own, reporting, reported, clock.get());
      }
      assertSameJudgement(shared, own, clock.get());
    }
    assertThat(shared.detectorCount()).as("one detector per datanode again")
        .isEqualTo(datanodes);

    judgedFailed += randomEvents(random, 200, clock, shared, own, datanodes, regionsPerDatanode);
    return judgedFailed;
  }

  /** Random registrations, removals and heartbeats; returns how many regions were failed. */
  private static int randomEvents(Random random, int steps, AtomicLong clock,
      RegionFailureDetectors shared, Map<DatanodeRegion, PhiAccrualFailureDetector> own,
      int datanodes, int regionsPerDatanode) {
    int judgedFailed = 0;
    for (int step = 0; step < steps; step++) {
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
        heartbeat(shared, own, datanode, randomRegions(random, datanode, regionsPerDatanode),
            clock.get());
      }
      judgedFailed += assertSameJudgement(shared, own, clock.get());
    }
    return judgedFailed;
  }

  private static void heartbeat(RegionFailureDetectors shared,
      Map<DatanodeRegion, PhiAccrualFailureDetector> own, long datanode,
      List<DatanodeRegion> reported, long timestampMillis) {
    shared.heartbeat(datanode, reported.stream().map(DatanodeRegion::regionId).toList(),
        timestampMillis);
    for (DatanodeRegion region : reported) {
      own.computeIfAbsent(region, r -> new PhiAccrualFailureDetector(OPTIONS))
          .heartbeat(timestampMillis);
    }
  }

  /** Returns how many regions are failed now. */
  private static int assertSameJudgement(RegionFailureDetectors shared,
      Map<DatanodeRegion, PhiAccrualFailureDetector> own, long now) {
    List<FailedRegion> failed = shared.failed();
    assertThat(failed).isEqualTo(failedByOwnDetectors(own, now));
    assertThat(shared.size()).isEqualTo(own.size());
    return failed.size();
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
