package io.metasrv.procedure;

import java.time.Duration;
import java.util.Optional;

/**
 * The delays between attempts, as backon's {@code ExponentialBuilder} that GreptimeDB's runner
 * uses: {@code retry_delay} first, doubling, at most 60 s, {@code max_retry_times} delays in all,
 * then none. With the metasrv's defaults: 0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60 s.
 */
final class RetryBackoff {
  static final Duration MAX_DELAY = Duration.ofSeconds(60);

  private final int maxTimes;
  private Duration next;
  private int given;

  RetryBackoff(Duration minDelay, int maxTimes) {
    this.next = minDelay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : minDelay;
    this.maxTimes = maxTimes;
  }

  /** The next delay, or empty once {@code max_retry_times} delays were given. */
  Optional<Duration> next() {
    if (given >= maxTimes) {
      return Optional.empty();
    }
    given++;
    Duration delay = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : doubled;
    return Optional.of(delay);
  }
}
