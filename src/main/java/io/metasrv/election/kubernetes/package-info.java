/**
 * The Kubernetes Lease election: {@link io.metasrv.election.kubernetes.KubernetesLeaseElection}
 * over a fabric8 client.
 *
 * <p>Owns the election Lease (acquire, renew, release, and a watch of it so that followers take
 * a released Lease over at once), the terms, which move past the store's leader epoch even when
 * the Lease is deleted or recreated, the judgement of when another holder's Lease has expired
 * (on the local monotonic clock, never by comparing the Lease's timestamps with the local wall
 * clock), this node's own candidate Lease, and, on the leader, the deletion of gone nodes'
 * candidate Leases. Timings are in {@link
 * io.metasrv.election.kubernetes.KubernetesLeaseConfig}; the RBAC the election needs is in
 * {@code manifests/rbac/metasrv-election-role.yaml}.
 */
package io.metasrv.election.kubernetes;
