package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.metasrv.config.FailureDetectorOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The detector's arithmetic against values computed by hand (with Python's {@code math} from the
 * formulas of GreptimeDB's {@code failure_detector.rs}), under explicit timestamps: no clock, no
 * sleeping.
 */
class PhiAccrualFailureDetectorTest {
  private static final FailureDetectorOptions DEFAULTS = FailureDetectorOptions.defaults();
  private static final long HEARTBEAT_INTERVAL = 3_000;

  /** Heartbeats every 3 s from 0; returns the time of the last one. */
  private static long heartbeatEvery3s(PhiAccrualFailureDetector detector, int heartbeats) {
    long t = 0;
    for (int i = 0; i < heartbeats; i++) {
      t = i * HEARTBEAT_INTERVAL;
      detector.heartbeat(t);
    }
    return t;
  }

  @Test
  void phiFollowsTheLogisticApproximationOfTheNormalTail() {
    // at the mean y = 0, e = 1: phi = -log10(1 - 1/2) = log10(2)
    assertThat(PhiAccrualFailureDetector.phi(13_000, 13_000, 100)).isCloseTo(Math.log10(2),
        within(1e-12));
    // y = 1: e = exp(-1.668166) = 0.188606..., phi = -log10(e / (1 + e))
    assertThat(PhiAccrualFailureDetector.phi(13_100, 13_000, 100)).isCloseTo(0.7995083208395598,
        within(1e-9));
    // y = 5: e = exp(-16.8103)
    assertThat(PhiAccrualFailureDetector.phi(13_500, 13_000, 100)).isCloseTo(7.299947394460206,
        within(1e-9));
    // far below the mean phi is 0 (not negative, not NaN); far above it stays finite
    assertThat(PhiAccrualFailureDetector.phi(3_000, 13_000, 100)).isZero();
    assertThat(PhiAccrualFailureDetector.phi(14_000, 13_000, 100)).isCloseTo(37.58471305287122,
        within(1e-6));
    // a larger deviation means a lower suspicion for the same silence
    assertThat(PhiAccrualFailureDetector.phi(1_100, 1_000, 500))
        .isLessThan(PhiAccrualFailureDetector.phi(1_100, 1_000, 100));
  }

  @Test
  void steadyThreeSecondHeartbeatsCrossTheDefaultThresholdAfter13523MillisOfSilence() {
    // 1001 heartbeats give 1000 intervals of exactly 3000 ms: the two seeded intervals have left
    // the history, the standard deviation is 0 and clamps to min_std_deviation (100 ms), and the
    // shifted mean is 3000 + 10000 (acceptable pause). phi = 8 at y = 5.2260..., 13522.6 ms.
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(DEFAULTS);
    long last = heartbeatEvery3s(detector, 1001);

    assertThat(detector.phi(last + 13_522)).isCloseTo(7.980831357387225, within(1e-9));
    assertThat(detector.isAvailable(last + 13_522)).isTrue();
    assertThat(detector.phi(last + 13_523)).isCloseTo(8.012869649581168, within(1e-9));
    assertThat(detector.isAvailable(last + 13_523)).isFalse();
  }

  @Test
  void theHistoryKeepsOnlyTheLast1000Intervals() {
    // with 999 heartbeats the history still holds the seeds 750 and 1250 beside 998 intervals of
    // 3000: mean 2996, deviation below 100 ms, so the crossing comes 4 ms earlier, at 13519
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(DEFAULTS);
    long last = heartbeatEvery3s(detector, 999);
    assertThat(detector.isAvailable(last + 13_518)).isTrue();
    assertThat(detector.isAvailable(last + 13_519)).isFalse();

    // two heartbeats later both seeds are gone and the steady-state crossing is back
    detector.heartbeat(last + 3_000);
    detector.heartbeat(last + 6_000);
    assertThat(detector.isAvailable(last + 6_000 + 13_522)).isTrue();
    assertThat(detector.isAvailable(last + 6_000 + 13_523)).isFalse();
  }

  @Test
  void aFewHeartbeatsStillCarryTheSeedsDeviation() {
    // 11 heartbeats: seeds 750, 1250 and ten intervals of 3000; mean 2666.7, deviation 752.3;
    // the wider distribution tolerates a longer silence: 16599 ms
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(DEFAULTS);
    long last = heartbeatEvery3s(detector, 11);
    assertThat(detector.isAvailable(last + 16_598)).isTrue();
    assertThat(detector.isAvailable(last + 16_599)).isFalse();
  }

  @Test
  void afterOneHeartbeatTheFirstHeartbeatEstimateStandsInForTheHistory() {
    // seeds 750 and 1250: mean 1000, deviation 250; shifted mean 11000
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(DEFAULTS);
    assertThat(detector.phi(0)).as("no heartbeat yet: nothing to suspect").isZero();
    assertThat(detector.lastHeartbeatMillis()).isEmpty();

    detector.heartbeat(5_000);

    assertThat(detector.lastHeartbeatMillis()).hasValue(5_000);
    assertThat(detector.phi(5_000 + 11_000)).isCloseTo(Math.log10(2), within(1e-12));
    assertThat(detector.phi(5_000 + 12_000)).isCloseTo(4.736694582705181, within(1e-9));
    assertThat(detector.isAvailable(5_000 + 12_306)).isTrue();
    assertThat(detector.isAvailable(5_000 + 12_307)).isFalse();
  }

  @Test
  void theFirstHeartbeatEstimateIsAnOption() {
    // estimate 2000: seeds 1500 and 2500, mean 2000, deviation 500; crossing at 14613
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(new FailureDetectorOptions(
        8.0, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(2)));
    detector.heartbeat(0);
    assertThat(detector.isAvailable(14_612)).isTrue();
    assertThat(detector.isAvailable(14_613)).isFalse();
  }

  @Test
  void theAcceptablePauseShiftsTheCrossingByItsLength() {
    // without a pause and with a 3 s estimate, the steady-state crossing is 10 s earlier
    PhiAccrualFailureDetector noPause = new PhiAccrualFailureDetector(new FailureDetectorOptions(
        8.0, Duration.ofMillis(100), Duration.ZERO, Duration.ofSeconds(3)));
    long last = heartbeatEvery3s(noPause, 1001);
    assertThat(noPause.isAvailable(last + 3_522)).isTrue();
    assertThat(noPause.isAvailable(last + 3_523)).isFalse();

    PhiAccrualFailureDetector defaultPause = new PhiAccrualFailureDetector(DEFAULTS);
    heartbeatEvery3s(defaultPause, 1001);
    assertThat(defaultPause.phi(last + 12_000))
        .as("a 12 s silence is within the 3 s interval plus the 10 s pause")
        .isLessThan(0.01);
  }

  @Test
  void intervalsThatArriveAfterTheCrossingAreNotLearnt() {
    // no pause and a 1 s estimate: the crossing is 2307 ms after a heartbeat, so every 3 s
    // heartbeat arrives when the node is already judged failed and its interval is dropped; the
    // history stays the two seeds for ever
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(new FailureDetectorOptions(
        8.0, Duration.ofMillis(100), Duration.ZERO, Duration.ofSeconds(1)));
    long last = heartbeatEvery3s(detector, 100);
    assertThat(detector.isAvailable(last + 2_306)).isTrue();
    assertThat(detector.isAvailable(last + 2_307)).isFalse();
  }

  @Test
  void theThresholdDecides() {
    PhiAccrualFailureDetector strict = new PhiAccrualFailureDetector(new FailureDetectorOptions(
        3.0, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(1)));
    long last = heartbeatEvery3s(strict, 1001);
    // phi(13500) = 7.2999 is above 3 but below 8
    assertThat(strict.isAvailable(last + 13_500)).isFalse();
    assertThat(new PhiAccrualFailureDetector(DEFAULTS).threshold()).isEqualTo(8.0);
  }

  @Test
  void aNodeThatHeartbeatsAgainAfterBeingJudgedFailedIsAvailableAgainWithItsHistoryIntact() {
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(DEFAULTS);
    long last = heartbeatEvery3s(detector, 1001);
    long back = last + 60_000;
    assertThat(detector.isAvailable(back)).isFalse();

    detector.heartbeat(back);

    assertThat(detector.isAvailable(back)).isTrue();
    // the 60 s gap arrived while the node was judged failed, so it was not learnt: the crossing
    // is still the steady-state one
    assertThat(detector.isAvailable(back + 13_522)).isTrue();
    assertThat(detector.isAvailable(back + 13_523)).isFalse();
  }

  @Test
  void aHeartbeatOlderThanTheLastIsIgnored() {
    PhiAccrualFailureDetector detector = new PhiAccrualFailureDetector(DEFAULTS);
    long last = heartbeatEvery3s(detector, 1001);

    detector.heartbeat(last - 2_000);

    assertThat(detector.lastHeartbeatMillis()).hasValue(last);
    assertThat(detector.isAvailable(last + 13_522)).isTrue();
    assertThat(detector.isAvailable(last + 13_523)).isFalse();
  }

  @Test
  void aNonPositiveMinimumDeviationIsRefused() {
    assertThatThrownBy(() -> new PhiAccrualFailureDetector(new FailureDetectorOptions(
        8.0, Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("min_std_deviation");
  }
}
