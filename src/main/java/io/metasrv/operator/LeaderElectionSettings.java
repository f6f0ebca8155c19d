package io.metasrv.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator's own leader election: replicas compete for one Lease, and only its holder
 * reconciles, so two replicas never write the same objects.
 *
 * @param leaseNamespace where the Lease lives; empty means the operator's own namespace (from its
 *     service account), as JOSDK infers it
 * @param identity this replica's name in the Lease; empty means $HOSTNAME, the pod's name
 */
public record LeaderElectionSettings(
    String leaseName,
    Optional<String> leaseNamespace,
    Optional<String> identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod) {
  public static final String DEFAULT_LEASE_NAME = "metasrv-operator";

  /** Kubernetes' usual controller timings: a crashed leader is replaced within about 15 s. */
  public static LeaderElectionSettings of(String leaseName, Optional<String> leaseNamespace) {
    return new LeaderElectionSettings(
        leaseName,
        leaseNamespace,
        Optional.empty(),
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE);
  }

  /**
   * JOSDK's configuration. It does not exit the process itself when the Lease is lost: that would
   * also happen on a clean stop, from inside the shutdown; the callbacks decide instead.
   */
  LeaderElectionConfiguration configuration(LeaderCallbacks callbacks) {
    return new LeaderElectionConfiguration(
        leaseName,
        leaseNamespace.orElse(null),
        leaseDuration,
        renewDeadline,
        retryPeriod,
        identity.orElse(null),
        callbacks,
        false);
  }
}
