/**
 * The Kubernetes Lease election: {@link io.metasrv.election.kubernetes.KubernetesLeaseElection}
 * over a fabric8 client.
 *
 * <p>Owns the election Lease (acquire, renew, release), the judgement of when another holder's
 * Lease has expired (on the local monotonic clock, never by comparing the Lease's timestamps
 * with the local wall clock), and this node's own candidate Lease. Timings are in {@link
 * io.metasrv.election.kubernetes.KubernetesLeaseConfig}; the RBAC the election needs is in
 * {@code manifests/rbac/metasrv-election-role.yaml}.
 */
package io.metasrv.election.kubernetes;
