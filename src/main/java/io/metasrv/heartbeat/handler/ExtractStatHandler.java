package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.Stat;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.Role;

/**
 * Reads a datanode's {@link Stat} from a stat heartbeat, stamped with the leader's receive time;
 * handshakes and mailbox replies carry none.
 */
final class ExtractStatHandler implements HeartbeatHandler {
  @Override
  public String name() {
    return "ExtractStatHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.DATANODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (!context.request().hasMailboxMessage()) {
      Stat.fromRequest(context.request(), context.regionStats(), context.receivedAtMillis())
          .ifPresent(context::setStat);
    }
    return Flow.CONTINUE;
  }
}
