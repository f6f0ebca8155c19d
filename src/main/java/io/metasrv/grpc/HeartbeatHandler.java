package io.metasrv.grpc;

import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.ResponseHeaders;

/**
 * Answers one heartbeat on the leader. The Heartbeat service has already checked the request
 * header and that this node leads; it sends the returned response as the one answer to this
 * request. Called for the requests of one stream one at a time, in order.
 */
@FunctionalInterface
public interface HeartbeatHandler {

  /** Answers every heartbeat with an empty success: nothing is recorded or pushed yet. */
  HeartbeatHandler ACKNOWLEDGE = request -> HeartbeatResponse.newBuilder()
      .setHeader(ResponseHeaders.ok())
      .build();

  HeartbeatResponse handle(HeartbeatRequest request);
}
