package io.metasrv.operator.maintenance;

import java.time.Duration;
import java.time.Instant;

/**
 * When to try again after a failure that began at {@code since}: as long again as it has lasted,
 * within bounds, so retries come at roughly doubling intervals. Derived from a timestamp the
 * resource carries (a condition's lastTransitionTime, the deletionTimestamp), it needs no memory
 * in the operator and survives a restart of it.
 */
record RetryBackoff(Duration initial, Duration max) {
  static final RetryBackoff DEFAULT = new RetryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(2));

  Duration after(Instant since, Instant now) {
    Duration lasted = Duration.between(since, now);
    if (lasted.compareTo(initial) < 0) {
      return initial;
    }
    return lasted.compareTo(max) > 0 ? max : lasted;
  }
}
