/**
 * Failure detection on the leader: phi-accrual detectors per (datanode, region), fed by the
 * datanodes' heartbeats, and the region supervisor that acts on the regions they judge failed.
 *
 * <p>{@link io.metasrv.failure.PhiAccrualFailureDetector} is GreptimeDB's port of Akka's
 * detector, number for number ({@code [failure_detector]} options);
 * {@link io.metasrv.failure.RegionFailureDetectors} judges every region replica as its own
 * detector would, sharing one history among the regions reported in the same heartbeats;
 * {@link io.metasrv.failure.RegionSupervisor} ticks every 200 ms while this node leads
 * (GreptimeDB: every second), lists the failed replicas and hands them to
 * {@link io.metasrv.failure.RegionFailover} unless maintenance mode is on or failover paused.
 */
package io.metasrv.failure;
