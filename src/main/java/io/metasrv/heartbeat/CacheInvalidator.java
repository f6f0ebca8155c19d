package io.metasrv.heartbeat;

import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.heartbeat.instruction.Instruction;
import io.metasrv.heartbeat.instruction.MailboxMessages;
import io.metasrv.protocol.Role;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Tells every node to drop cached metadata, as GreptimeDB's {@code MetasrvCacheInvalidator}: one
 * {@code InvalidateCaches} broadcast to frontends, then datanodes, then flownodes, with subject
 * {@code "Invalidate table"}. Nodes do not reply.
 */
public final class CacheInvalidator {
  private final Mailbox mailbox;
  private final String serverAddr;
  private final LongSupplier wallClockMillis;

  public CacheInvalidator(Mailbox mailbox, String serverAddr, LongSupplier wallClockMillis) {
    this.mailbox = mailbox;
    this.serverAddr = serverAddr;
    this.wallClockMillis = wallClockMillis;
  }

  public void invalidate(List<CacheIdent> caches) {
    Instruction instruction = new Instruction.InvalidateCaches(caches);
    String from = MailboxMessages.metasrv(serverAddr);
    long now = wallClockMillis.getAsLong();
    mailbox.broadcast(Role.FRONTEND, MailboxMessages.instruction(
        MailboxMessages.INVALIDATE_TABLE_SUBJECT, from, MailboxMessages.FRONTEND_BROADCAST, now,
        instruction));
    mailbox.broadcast(Role.DATANODE, MailboxMessages.instruction(
        MailboxMessages.INVALIDATE_TABLE_SUBJECT, from, MailboxMessages.DATANODE_BROADCAST, now,
        instruction));
    mailbox.broadcast(Role.FLOWNODE, MailboxMessages.instruction(
        MailboxMessages.INVALIDATE_TABLE_SUBJECT, from, MailboxMessages.FLOWNODE_BROADCAST, now,
        instruction));
  }
}
