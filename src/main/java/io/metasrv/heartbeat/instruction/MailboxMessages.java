package io.metasrv.heartbeat.instruction;

import io.metasrv.metadata.RegionId;
import io.metasrv.protocol.MailboxMessage;

/**
 * The conventions of GreptimeDB's mailbox messages ({@code greptime.v1.meta.MailboxMessage}):
 * metasrv sends an {@link Instruction} as JSON payload with id 0 (the mailbox assigns the id; 0
 * stays for one-way broadcasts), from {@code "Metasrv@{server_addr}"} to {@code
 * "Datanode-{id}@{addr}"} or a {@code "... broadcast"}; the node answers with the same id and
 * subject, from and to swapped, its own timestamp and an {@link InstructionReply} as payload.
 */
public final class MailboxMessages {
  public static final String FRONTEND_BROADCAST = "Frontend broadcast";
  public static final String DATANODE_BROADCAST = "Datanode broadcast";
  public static final String FLOWNODE_BROADCAST = "Flownode broadcast";

  /** The default subject of cache invalidation broadcasts. */
  public static final String INVALIDATE_TABLE_SUBJECT = "Invalidate table";

  private MailboxMessages() {}

  /** The sender of every message from metasrv: {@code "Metasrv@{server_addr}"}. */
  public static String metasrv(String serverAddr) {
    return "Metasrv@" + serverAddr;
  }

  /** The receiver of a message to one datanode: {@code "Datanode-{id}@{addr}"}. */
  public static String datanode(long datanodeId, String addr) {
    return "Datanode-" + Long.toUnsignedString(datanodeId) + "@" + addr;
  }

  /** Region migration subjects, with the region as GreptimeDB displays it. */
  public static String openCandidateRegionSubject(long regionId) {
    return "Open candidate region: " + RegionId.display(regionId);
  }

  public static String downgradeLeaderRegionSubject(long regionId) {
    return "Downgrade leader region: " + RegionId.display(regionId);
  }

  public static String upgradeCandidateRegionSubject(long regionId) {
    return "Upgrade candidate region: " + RegionId.display(regionId);
  }

  public static String closeDowngradedRegionSubject(long regionId) {
    return "Close downgraded region: " + RegionId.display(regionId);
  }

  /** An instruction message with id 0, as {@code MailboxMessage::json_message} builds it. */
  public static MailboxMessage instruction(
      String subject, String from, String to, long timestampMillis, Instruction instruction) {
    return MailboxMessage.newBuilder()
        .setId(0)
        .setSubject(subject)
        .setFrom(from)
        .setTo(to)
        .setTimestampMillis(timestampMillis)
        .setJson(instruction.toJson())
        .build();
  }

  /** A node's answer to {@code request}: same id and subject, from and to swapped. */
  public static MailboxMessage reply(
      MailboxMessage request, long timestampMillis, InstructionReply reply) {
    return MailboxMessage.newBuilder()
        .setId(request.getId())
        .setSubject(request.getSubject())
        .setFrom(request.getTo())
        .setTo(request.getFrom())
        .setTimestampMillis(timestampMillis)
        .setJson(reply.toJson())
        .build();
  }

  /**
   * The instruction a message carries.
   *
   * @throws MalformedMessageException when it has no payload or the payload is not one
   */
  public static Instruction readInstruction(MailboxMessage message) {
    return Instruction.fromJson(payload(message));
  }

  /**
   * The reply a message carries.
   *
   * @throws MalformedMessageException when it has no payload or the payload is not one
   */
  public static InstructionReply readReply(MailboxMessage message) {
    return InstructionReply.fromJson(payload(message));
  }

  private static String payload(MailboxMessage message) {
    if (message.getPayloadCase() != MailboxMessage.PayloadCase.JSON) {
      throw new MalformedMessageException(
          "empty payload in mailbox message id="
              + Long.toUnsignedString(message.getId())
              + " subject="
              + message.getSubject());
    }
    return message.getJson();
  }
}
