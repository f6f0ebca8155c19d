package io.metasrv.heartbeat.instruction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.metadata.RegionId;
import io.metasrv.protocol.MailboxMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The envelope conventions of reference heartbeat §4.2. */
class MailboxMessagesTest {
  static final long REGION = RegionId.of(1024, 1);

  @Test
  void instructionMessageFromMetasrvToADatanode() {
    Instruction close = new Instruction.CloseRegion(new RegionIdent(2, 1024, 1, "mito2"));

    MailboxMessage message =
        MailboxMessages.instruction(
            MailboxMessages.closeDowngradedRegionSubject(REGION),
            MailboxMessages.metasrv("10.0.0.9:3002"),
            MailboxMessages.datanode(2, "10.0.0.2:4001"),
            1743400000000L,
            close);

    assertThat(message.getId()).isZero();
    assertThat(message.getSubject()).isEqualTo("Close downgraded region: 4398046511105(1024, 1)");
    assertThat(message.getFrom()).isEqualTo("Metasrv@10.0.0.9:3002");
    assertThat(message.getTo()).isEqualTo("Datanode-2@10.0.0.2:4001");
    assertThat(message.getTimestampMillis()).isEqualTo(1743400000000L);
    assertThat(message.getJson())
        .isEqualTo(
            "{\"CloseRegion\":{\"datanode_id\":2,\"table_id\":1024,\"region_number\":1,"
                + "\"engine\":\"mito2\"}}");
    assertThat(MailboxMessages.readInstruction(message)).isEqualTo(close);
  }

  @Test
  void replyKeepsIdAndSubjectAndSwapsTheEnds() {
    MailboxMessage request =
        MailboxMessages.instruction(
                MailboxMessages.openCandidateRegionSubject(REGION),
                MailboxMessages.metasrv("m:3002"),
                MailboxMessages.datanode(3, "d:4001"),
                1,
                new Instruction.CloseRegion(new RegionIdent(3, 1024, 1, "mito2")))
            .toBuilder()
            .setId(101)
            .build();

    MailboxMessage reply =
        MailboxMessages.reply(request, 2, new InstructionReply.OpenRegion(true, null));

    assertThat(reply.getId()).isEqualTo(101);
    assertThat(reply.getSubject()).isEqualTo("Open candidate region: 4398046511105(1024, 1)");
    assertThat(reply.getFrom()).isEqualTo("Datanode-3@d:4001");
    assertThat(reply.getTo()).isEqualTo("Metasrv@m:3002");
    assertThat(reply.getTimestampMillis()).isEqualTo(2);
    assertThat(reply.getJson())
        .isEqualTo("{\"type\":\"open_region\",\"result\":true,\"error\":null}");
    assertThat(MailboxMessages.readReply(reply))
        .isEqualTo(new InstructionReply.OpenRegion(true, null));
  }

  @Test
  void subjectsAndBroadcastNames() {
    assertThat(
            List.of(
                MailboxMessages.downgradeLeaderRegionSubject(REGION),
                MailboxMessages.upgradeCandidateRegionSubject(REGION)))
        .containsExactly(
            "Downgrade leader region: 4398046511105(1024, 1)",
            "Upgrade candidate region: 4398046511105(1024, 1)");
    assertThat(
            List.of(
                MailboxMessages.FRONTEND_BROADCAST,
                MailboxMessages.DATANODE_BROADCAST,
                MailboxMessages.FLOWNODE_BROADCAST,
                MailboxMessages.INVALIDATE_TABLE_SUBJECT))
        .containsExactly(
            "Frontend broadcast", "Datanode broadcast", "Flownode broadcast", "Invalidate table");
  }

  @Test
  void aMessageWithoutPayloadIsAnUnexpectedReply() {
    MailboxMessage empty = MailboxMessage.newBuilder().setId(5).setSubject("s").build();

    assertThatThrownBy(() -> MailboxMessages.readReply(empty))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("empty payload");
    assertThatThrownBy(() -> MailboxMessages.readInstruction(empty))
        .isInstanceOf(MalformedMessageException.class);
  }
}
