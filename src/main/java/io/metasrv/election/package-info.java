/**
 * Leader election: who leads, leader-change events, and the candidate registry.
 *
 * <p>{@link io.metasrv.election.Election} is the one contract every implementation follows
 * (etcd, Kubernetes Lease, and {@link io.metasrv.election.StandaloneElection} for a single node;
 * PostgreSQL and MySQL are not built yet): the leader value is the leader's {@code server_addr},
 * leader changes arrive in order, and {@code resign()} gives leadership up at once.
 * Implementations live in subpackages ({@code io.metasrv.election.etcd}, {@code
 * io.metasrv.election.kubernetes}).
 *
 * <p>{@link io.metasrv.election.CampaignSignals} is what the elections that campaign on a
 * thread of their own (etcd, Kubernetes Lease) share: that thread's wake-ups, the resign
 * handshake, and the in-order delivery of leader changes to the listener.
 */
package io.metasrv.election;
