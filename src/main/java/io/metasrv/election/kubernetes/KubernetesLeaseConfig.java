package io.metasrv.election.kubernetes;

import io.metasrv.config.ElectionOptions;
import java.time.Duration;

/**
 * Where the election Lease lives and its timings (client-go's names and meaning).
 *
 * @param namespace namespace of the election Lease and of the candidates' Leases
 * @param leaseName name of the election Lease; candidates' Leases are named after it
 * @param leaseDuration how long followers wait, from when they saw the Lease last change, before
 *     taking it over; whole seconds, as the Lease stores it
 * @param renewDeadline a leader whose renewals have not succeeded for this long, counted from
 *     when its last successful one was sent, steps down
 * @param retryPeriod how often the leader renews and followers read the Lease
 */
public record KubernetesLeaseConfig(
    String namespace,
    String leaseName,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod) {

  public KubernetesLeaseConfig {
    if (namespace == null || namespace.isEmpty() || leaseName == null || leaseName.isEmpty()) {
      throw new IllegalArgumentException("namespace and lease name are required");
    }
    if (leaseDuration.toMillis() < 1000 || leaseDuration.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException(
          "leaseDuration must be whole seconds, at least 1 s, got " + leaseDuration);
    }
    if (retryPeriod.isNegative() || retryPeriod.isZero()
        || retryPeriod.compareTo(renewDeadline) >= 0
        || renewDeadline.compareTo(leaseDuration) >= 0) {
      throw new IllegalArgumentException("need 0 < retryPeriod < renewDeadline < leaseDuration, "
          + "got " + retryPeriod + " / " + renewDeadline + " / " + leaseDuration);
    }
  }

  /** The configured election in {@code namespace} (resolved by the caller when not set). */
  public static KubernetesLeaseConfig of(ElectionOptions options, String namespace) {
    return new KubernetesLeaseConfig(namespace, options.leaseName(), options.leaseDuration(),
        options.renewDeadline(), options.retryPeriod());
  }

  int leaseDurationSeconds() {
    return Math.toIntExact(leaseDuration.toSeconds());
  }

  /**
   * The longest a single API call may take. A call slower than a retry period is as good as
   * failed: the loop that made it should already be trying again.
   */
  Duration requestTimeout() {
    return retryPeriod;
  }

  /** How long a node that resigned stays out of the race, so that a peer (polling) wins. */
  Duration resignPause() {
    return retryPeriod.multipliedBy(2);
  }

  /** How often a candidate rewrites its own Lease. */
  Duration candidateRenewInterval() {
    return leaseDuration;
  }

  /** A candidate Lease seen unchanged for this long belongs to a node that is gone. */
  Duration candidateExpiry() {
    return leaseDuration.multipliedBy(3);
  }
}
