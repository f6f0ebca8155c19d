/**
 * Failure detection on the leader: a phi-accrual detector per (datanode, region), fed by the
 * datanodes' heartbeats, that says which regions have gone silent for longer than their
 * heartbeat history makes plausible.
 *
 * <p>{@link io.metasrv.failure.PhiAccrualFailureDetector} is GreptimeDB's port of Akka's
 * detector, number for number ({@code [failure_detector]} options);
 * {@link io.metasrv.failure.RegionFailureDetectors} keeps one per region replica and lists the
 * failed ones. Deciding what to do about a failed region (maintenance mode, failover) belongs to
 * the region supervisor, which builds on these.
 */
package io.metasrv.failure;
