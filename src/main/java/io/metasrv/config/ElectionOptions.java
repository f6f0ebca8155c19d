package io.metasrv.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The leader election ({@code [election]}). The election is independent of the store: a
 * Kubernetes Lease can elect the leader over any backend. Only {@code kind} matters for {@code
 * backend}; the other keys configure the Kubernetes Lease.
 *
 * @param kind {@code backend} (the store's own election) or {@code kubernetes-lease}
 * @param leaseName name of the election Lease; candidates' Leases are named after it
 * @param namespace namespace of the Leases; when not set, {@code POD_NAMESPACE}, then the pod's
 *     service-account namespace file, then the kubeconfig context's namespace
 * @param leaseDuration how long followers wait, after the Lease last changed, before taking it
 *     over; whole seconds, as the Lease stores it
 * @param renewDeadline a leader that could not renew for this long steps down
 * @param retryPeriod how often the leader renews and followers check the Lease
 * @param kubeconfig kubeconfig file to reach the API server with; when not set, fabric8's
 *     auto-configuration: {@code KUBECONFIG} or {@code ~/.kube/config} when there is one, else
 *     the pod's service account (in-cluster)
 */
public record ElectionOptions(
    ElectionKind kind,
    String leaseName,
    Optional<String> namespace,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    Optional<String> kubeconfig) {

  /** The store's election; for the Lease, client-go's timings (15 s / 10 s / 2 s). */
  public static ElectionOptions defaults() {
    return new ElectionOptions(
        ElectionKind.BACKEND,
        "metasrv-election",
        Optional.empty(),
        Duration.ofSeconds(15),
        Duration.ofSeconds(10),
        Duration.ofSeconds(2),
        Optional.empty());
  }
}
