package io.metasrv.heartbeat.instruction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Replies as GreptimeDB's datanode writes them: internally tagged by a snake_case "type". */
class InstructionReplyTest {

  @Test
  void everyReplyRoundTripsByteForByte() {
    List<String> replies =
        List.of(
            "{\"type\":\"open_region\",\"result\":true,\"error\":null}",
            "{\"type\":\"close_region\",\"result\":false,\"error\":\"region busy\"}",
            "{\"type\":\"upgrade_region\",\"ready\":false,\"exists\":true,\"error\":null}",
            "{\"type\":\"downgrade_region\",\"last_entry_id\":42,\"exists\":true,\"error\":null}",
            "{\"type\":\"downgrade_region\",\"last_entry_id\":null,\"exists\":false,"
                + "\"error\":null}");
    for (String json : replies) {
      assertThat(InstructionReply.fromJson(json).toJson()).isEqualTo(json);
    }
  }

  @Test
  void repliesDecodeToTheirVariants() {
    assertThat(
            InstructionReply.fromJson("{\"type\":\"open_region\",\"result\":true,\"error\":null}"))
        .isEqualTo(new InstructionReply.OpenRegion(true, null));
    assertThat(
            InstructionReply.fromJson(
                "{\"exists\":true,\"last_entry_id\":7,\"type\":\"downgrade_region\"}"))
        .as("type anywhere, error missing")
        .isEqualTo(new InstructionReply.DowngradeRegion(7L, true, null));
    assertThat(new InstructionReply.UpgradeRegion(true, true, null).toJson())
        .isEqualTo("{\"type\":\"upgrade_region\",\"ready\":true,\"exists\":true,\"error\":null}");
  }

  @Test
  void unknownOrIncompleteRepliesAreRefused() {
    for (String json :
        List.of(
            "{\"type\":\"flush_region\",\"result\":true}",
            "{\"result\":true,\"error\":null}",
            "{\"type\":\"open_region\",\"error\":null}",
            "{\"type\":\"upgrade_region\",\"ready\":true}",
            "{\"OpenRegion\":{\"result\":true}}")) {
      assertThatThrownBy(() -> InstructionReply.fromJson(json))
          .as(json)
          .isInstanceOf(MalformedMessageException.class);
    }
  }

  @Test
  void lastEntryIdIsU64() {
    String json = "{\"type\":\"downgrade_region\",\"last_entry_id\":18446744073709551615,"
        + "\"exists\":true,\"error\":null}";
    assertThat(InstructionReply.fromJson(json))
        .isEqualTo(new InstructionReply.DowngradeRegion(-1L, true, null));
    assertThat(InstructionReply.fromJson(json).toJson()).isEqualTo(json);
    assertThatThrownBy(() -> InstructionReply.fromJson(json.replace("18446744073709551615", "-1")))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("expected u64");
  }
}
