package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import java.util.function.BooleanSupplier;

/**
 * On a node that does not lead, answers NotLeader (code 2) and ends the chain; the transport
 * then ends the stream so that the node asks for the leader again.
 */
final class CheckLeaderHandler implements HeartbeatHandler {
  private final BooleanSupplier isLeader;

  CheckLeaderHandler(BooleanSupplier isLeader) {
    this.isLeader = isLeader;
  }

  @Override
  public String name() {
    return "CheckLeaderHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return true;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (isLeader.getAsBoolean()) {
      return Flow.CONTINUE;
    }
    context.setHeader(ResponseHeaders.notLeader());
    return Flow.DONE;
  }
}
