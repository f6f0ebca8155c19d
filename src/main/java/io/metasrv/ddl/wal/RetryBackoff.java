package io.metasrv.ddl.wal;

import io.metasrv.config.WalOptions;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code [wal]} backoff: the first retry waits {@code init}, each next one {@code base} times
 * longer, never more than {@code max}; no retry starts once {@code deadline} has passed since the
 * first attempt (the semantics of the Kafka client GreptimeDB configures with these keys).
 */
record RetryBackoff(Duration init, Duration max, int base, Duration deadline) {

  static RetryBackoff of(WalOptions wal) {
    return new RetryBackoff(wal.backoffInit(), wal.backoffMax(), wal.backoffBase(),
        wal.backoffDeadline());
  }

  /**
   * The wait before the next attempt, after {@code failures} failed ones (at least 1) that began
   * {@code elapsed} ago; empty when the next attempt would start after the deadline.
   */
  Optional<Duration> delayAfter(int failures, Duration elapsed) {
    Duration delay = init;
    for (int i = 1; i < failures && delay.compareTo(max) < 0; i++) {
      delay = delay.multipliedBy(base);
    }
    if (delay.compareTo(max) > 0) {
      delay = max;
    }
    return elapsed.plus(delay).compareTo(deadline) > 0 ? Optional.empty() : Optional.of(delay);
  }
}
