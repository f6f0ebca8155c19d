package io.metasrv.election.rds;

import java.time.Duration;

/**
 * Timings of the election over a SQL store.
 *
 * @param leaderLeaseTtl how long the leader value stays valid after a renewal, judged by the
 *     database's clock (GreptimeDB's {@code META_LEASE_SECS}, 5 s)
 * @param renewInterval how often the leader renews; the leader stops saying it leads {@code
 *     leaderLeaseTtl - renewInterval} after its last successful renewal was sent
 * @param retryPeriod how often a follower tries the lock and reads the leader value
 * @param candidateLeaseTtl how long a candidate entry stays valid (GreptimeDB: 600 s)
 * @param candidateRenewInterval how often a candidate renews its entry (GreptimeDB: 300 s)
 * @param resignPause how long a node that resigned stays out of the race
 * @param connectTimeout how long one connection attempt may take
 */
public record RdsElectionConfig(Duration leaderLeaseTtl, Duration renewInterval,
    Duration retryPeriod, Duration candidateLeaseTtl, Duration candidateRenewInterval,
    Duration resignPause, Duration connectTimeout) {

  public RdsElectionConfig {
    if (renewInterval.compareTo(leaderLeaseTtl) >= 0
        || candidateRenewInterval.compareTo(candidateLeaseTtl) >= 0) {
      throw new IllegalArgumentException("renewals must come more often than their lease ends");
    }
    if (retryPeriod.isNegative() || retryPeriod.isZero()) {
      throw new IllegalArgumentException("retry period must be positive");
    }
  }

  /** GreptimeDB's leases (5 s leader, 600 s candidates); followers look four times a second. */
  public static RdsElectionConfig defaults() {
    return new RdsElectionConfig(Duration.ofSeconds(5), Duration.ofSeconds(1),
        Duration.ofMillis(250), Duration.ofSeconds(600), Duration.ofSeconds(300),
        Duration.ofMillis(500), Duration.ofSeconds(3));
  }

  /** The longest a leader goes on saying it leads after its last renewal was sent. */
  Duration leaderValidity() {
    return leaderLeaseTtl.minus(renewInterval);
  }
}
