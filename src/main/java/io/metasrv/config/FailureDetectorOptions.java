package io.metasrv.config;

import java.time.Duration;

/**
 * The phi-accrual failure detector ({@code [failure_detector]}).
 *
 * @param threshold phi above which a node is considered failed
 * @param minStdDeviation floor of the heartbeat interval standard deviation
 * @param acceptableHeartbeatPause pause tolerated on top of the expected interval
 * @param firstHeartbeatEstimate assumed interval before any history exists
 */
public record FailureDetectorOptions(
    double threshold,
    Duration minStdDeviation,
    Duration acceptableHeartbeatPause,
    Duration firstHeartbeatEstimate) {

  public static FailureDetectorOptions defaults() {
    // The acceptable pause equals the datanode lease (3 heartbeats of 3 s, plus 1 s).
    return new FailureDetectorOptions(
        8.0, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(1));
  }
}
