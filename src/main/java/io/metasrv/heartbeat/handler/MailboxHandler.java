package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.protocol.Role;

/**
 * A heartbeat carrying a mailbox message is a node's reply: it goes to the waiting send, and
 * the chain ends (no region lease, no stats), as in GreptimeDB.
 */
final class MailboxHandler implements HeartbeatHandler {
  private final Mailbox mailbox;

  MailboxHandler(Mailbox mailbox) {
    this.mailbox = mailbox;
  }

  @Override
  public String name() {
    return "MailboxHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return true;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (!context.request().hasMailboxMessage()) {
      return Flow.CONTINUE;
    }
    mailbox.onReply(context.request().getMailboxMessage());
    return Flow.DONE;
  }
}
