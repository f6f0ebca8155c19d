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
}
