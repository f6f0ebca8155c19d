package io.metasrv.election.etcd;

import java.time.Duration;

/** Pauses between retries of a failing etcd call: doubling from a first pause up to a cap. */
final class RetryBackoff {
  private final Duration first;
  private final Duration max;
  private int failures;

  RetryBackoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
  }

  /** Counts a failure and returns the pause before the next attempt. */
  Duration next() {
    failures++;
    Duration pause = first.multipliedBy(1L << Math.min(failures - 1, 20));
    return pause.compareTo(max) > 0 ? max : pause;
  }

  /** Whether the failure just counted is the first since the last success: worth a log line. */
  boolean isFirstFailure() {
    return failures == 1;
  }

  /** The number of failures since the last success. */
  int failures() {
    return failures;
  }

  void reset() {
    failures = 0;
  }
}
