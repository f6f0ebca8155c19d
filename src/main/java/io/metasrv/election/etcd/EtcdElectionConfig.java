package io.metasrv.election.etcd;

import java.time.Duration;

/**
 * Timings of {@link EtcdElection}; {@link #defaults()} are GreptimeDB's.
 *
 * @param leaderLeaseTtl the leader key's lease (GreptimeDB {@code META_LEASE_SECS}, 5 s); whole
 *     seconds, and etcd raises it to its own minimum (about 2 s with default raft timings)
 * @param leaderKeepAliveInterval how often the leader renews its lease ({@code
 *     META_KEEP_ALIVE_INTERVAL_SECS}, 2 s); also the safety margin: a leader that has not renewed
 *     for {@code leaderLeaseTtl - leaderKeepAliveInterval} steps down
 * @param candidateLeaseTtl the lease of a candidate's registration ({@code CANDIDATE_LEASE_SECS},
 *     600 s); whole seconds
 * @param candidateKeepAliveInterval how often a candidate renews it (300 s)
 * @param requestTimeout the longest wait for one etcd call made while campaigning or resigning
 * @param retryBackoff the first pause after a failed etcd call; doubles on each further failure
 * @param maxRetryBackoff the longest such pause
 * @param resignPause how long a node that resigned stays out of the race, so that a peer wins
 */
public record EtcdElectionConfig(
    Duration leaderLeaseTtl,
    Duration leaderKeepAliveInterval,
    Duration candidateLeaseTtl,
    Duration candidateKeepAliveInterval,
    Duration requestTimeout,
    Duration retryBackoff,
    Duration maxRetryBackoff,
    Duration resignPause) {

  public EtcdElectionConfig {
    requireWholeSeconds("leaderLeaseTtl", leaderLeaseTtl);
    requireWholeSeconds("candidateLeaseTtl", candidateLeaseTtl);
    requireBelow("leaderKeepAliveInterval", leaderKeepAliveInterval, leaderLeaseTtl);
    requireBelow("candidateKeepAliveInterval", candidateKeepAliveInterval, candidateLeaseTtl);
    requirePositive("requestTimeout", requestTimeout);
    requirePositive("retryBackoff", retryBackoff);
    requirePositive("maxRetryBackoff", maxRetryBackoff);
    requirePositive("resignPause", resignPause);
  }

  public static EtcdElectionConfig defaults() {
    return new EtcdElectionConfig(Duration.ofSeconds(5), Duration.ofSeconds(2),
        Duration.ofSeconds(600), Duration.ofSeconds(300), Duration.ofSeconds(2),
        Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(500));
  }

  private static void requireWholeSeconds(String name, Duration value) {
    requirePositive(name, value);
    if (value.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException(name + " must be whole seconds (etcd leases are), got "
          + value);
    }
  }

  private static void requireBelow(String name, Duration value, Duration ttl) {
    requirePositive(name, value);
    if (value.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException(name + " " + value + " must be shorter than the lease "
          + ttl + ", or the lease expires between renewals");
    }
  }

  private static void requirePositive(String name, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
