package io.metasrv.failure;

/**
 * A region replica whose detector reports it unavailable.
 *
 * @param region the datanode and region
 * @param phi the suspicion level when it was judged, at or above the threshold
 * @param lastHeartbeatMillis the time of the last heartbeat that mentioned it
 */
public record FailedRegion(DatanodeRegion region, double phi, long lastHeartbeatMillis) {}
