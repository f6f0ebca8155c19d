/**
 * The etcd election: {@link io.metasrv.election.etcd.EtcdElection} over a jetcd client.
 *
 * <p>Owns the leader key and its lease (campaign, renewal, resign), the watch that tells every
 * node who leads, and this node's candidate registration. Timings are in {@link
 * io.metasrv.election.etcd.EtcdElectionConfig}.
 */
package io.metasrv.election.etcd;
