package io.metasrv.heartbeat;

import io.metasrv.protocol.HeartbeatResponse;

/**
 * The sending end of one node's heartbeat stream, through which the leader pushes mailbox
 * messages between the answers to the node's requests. The transport implements it.
 */
public interface Pusher {

  /**
   * Sends {@code response} to the node without waiting for the network.
   *
   * @return false when the stream is gone or was dropped because its node does not read it (a
   *     stream is never buffered without bound)
   */
  boolean push(HeartbeatResponse response);

  /**
   * Sends a one-way message only if the stream can take it now; a node that is behind misses it
   * rather than have it queued (a broadcast to every node must not pile up behind slow ones).
   *
   * @return whether it was sent
   */
  default boolean offer(HeartbeatResponse response) {
    return push(response);
  }
}
