/**
 * Test infrastructure: etcd processes, PostgreSQL and MariaDB servers of a test's own that it may
 * restart ({@link io.metasrv.testing.PrivateSqlServer}) and {@code metasrv start} processes on
 * free ports ({@link io.metasrv.testing.EtcdProcess}, {@link io.metasrv.testing.MetasrvNode}), and
 * simulated GreptimeDB nodes ({@link io.metasrv.testing.SimulatedNodes}, {@link
 * io.metasrv.testing.SimulatedDatanode}, {@link io.metasrv.testing.SimulatedFrontend}) that
 * connect, heartbeat, keep region leases and answer mailbox instructions as GreptimeDB's nodes
 * do, so that tests and benchmarks assert what a node experiences. Serving datanodes ({@link
 * io.metasrv.testing.SimulatedNodes#servingDatanode}) also answer the Region service on their
 * own port and open their {@code __dn_table} regions at start. The simulated nodes use only the
 * generated protocol messages, not the server's code.
 */
package io.metasrv.testing;
