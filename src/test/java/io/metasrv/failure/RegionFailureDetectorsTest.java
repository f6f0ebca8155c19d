package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.config.FailureDetectorOptions;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Region detectors under a fake clock. */
class RegionFailureDetectorsTest {
  private static final long TABLE = 1024;
  private static final DatanodeRegion ON_1 = new DatanodeRegion(1, region(0));
  private static final DatanodeRegion OTHER_ON_1 = new DatanodeRegion(1, region(1));
  private static final DatanodeRegion ON_2 = new DatanodeRegion(2, region(0));

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final RegionFailureDetectors detectors =
      new RegionFailureDetectors(FailureDetectorOptions.defaults(), clock::get);

  private static long region(int number) {
    return TABLE << 32 | number;
  }

  /** The regions heartbeat every 3 s, 1001 times; the clock stops at the last heartbeat. */
  private void steadyHeartbeats(DatanodeRegion... regions) {
    for (int i = 0; i < 1001; i++) {
      if (i > 0) {
        clock.addAndGet(3_000);
      }
      for (DatanodeRegion region : regions) {
        detectors.heartbeat(region, clock.get());
      }
    }
  }

  @Test
  void aRegionSilentOnOneDatanodeIsFailedThereOnly() {
    steadyHeartbeats(ON_1, OTHER_ON_1, ON_2);
    long lastOfOn1 = clock.get();
    // datanode 2 keeps heartbeating region 0; datanode 1 goes silent
    for (int i = 0; i < 5; i++) {
      clock.addAndGet(3_000);
      detectors.heartbeat(ON_2, clock.get());
    }
    clock.set(lastOfOn1 + 13_522);
    assertThat(detectors.failed()).isEmpty();

    clock.set(lastOfOn1 + 13_523);
    List<FailedRegion> failed = detectors.failed();

    assertThat(failed).extracting(FailedRegion::region).containsExactly(ON_1, OTHER_ON_1);
    assertThat(failed.get(0).phi()).isGreaterThanOrEqualTo(8.0);
    assertThat(failed.get(0).lastHeartbeatMillis()).isEqualTo(lastOfOn1);
  }

  @Test
  void aRegionIsWatchedFromTheFirstHeartbeatThatMentionsIt() {
    assertThat(detectors.contains(ON_1)).isFalse();

    detectors.heartbeat(ON_1, clock.get());

    assertThat(detectors.contains(ON_1)).isTrue();
    assertThat(detectors.size()).isEqualTo(1);
    // one heartbeat: the first-heartbeat estimate rules, crossing 12307 ms later
    clock.addAndGet(12_306);
    assertThat(detectors.failed()).isEmpty();
    clock.addAndGet(1);
    assertThat(detectors.failed()).extracting(FailedRegion::region).containsExactly(ON_1);
  }

  @Test
  void registeringSeedsWithNowAndKeepsAnExistingHistory() {
    steadyHeartbeats(ON_1);
    long lastOfOn1 = clock.get();
    clock.addAndGet(10_000);

    detectors.register(List.of(ON_1, ON_2));

    // ON_2 was seeded at the registration time and has 12.3 s from there to start heartbeating
    clock.addAndGet(12_306);
    assertThat(detectors.failed()).extracting(FailedRegion::region).containsExactly(ON_1);
    clock.addAndGet(1);
    assertThat(detectors.failed()).extracting(FailedRegion::region).containsExactly(ON_1, ON_2);
    assertThat(detectors.failed().get(0).lastHeartbeatMillis())
        .as("registration did not count as a heartbeat of a region already watched")
        .isEqualTo(lastOfOn1);
  }

  @Test
  void removedDetectorsStartAgainFromTheEstimateOnTheirNextHeartbeat() {
    steadyHeartbeats(ON_1, OTHER_ON_1, ON_2);
    clock.addAndGet(60_000);
    assertThat(detectors.failed()).hasSize(3);

    detectors.remove(ON_1);
    assertThat(detectors.failed()).extracting(FailedRegion::region)
        .containsExactly(OTHER_ON_1, ON_2);

    detectors.removeDatanode(2);
    assertThat(detectors.failed()).extracting(FailedRegion::region).containsExactly(OTHER_ON_1);

    detectors.removeAll(List.of(OTHER_ON_1));
    assertThat(detectors.size()).isZero();

    // a new detector for ON_1: its history is the first-heartbeat estimate again, not the
    // 3 s rhythm it had before (that one would cross at 13523, this one at 12307)
    detectors.heartbeat(ON_1, clock.get());
    clock.addAndGet(12_307);
    assertThat(detectors.failed()).extracting(FailedRegion::region).containsExactly(ON_1);
  }

  @Test
  void clearForgetsEverything() {
    steadyHeartbeats(ON_1, ON_2);
    clock.addAndGet(60_000);

    detectors.clear();

    assertThat(detectors.size()).isZero();
    assertThat(detectors.failed()).isEmpty();
  }

  @Test
  void aRegionThatHeartbeatsAgainIsNoLongerFailed() {
    steadyHeartbeats(ON_1);
    clock.addAndGet(20_000);
    assertThat(detectors.failed()).hasSize(1);

    detectors.heartbeat(ON_1, clock.get());

    assertThat(detectors.failed()).isEmpty();
  }

  @Test
  void regionIdsReadAsTableAndRegionNumber() {
    assertThat(new DatanodeRegion(3, region(7)))
        .hasToString("datanode 3 region 4398046511111(1024, 7)");
  }
}
