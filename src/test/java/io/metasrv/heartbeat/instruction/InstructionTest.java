package io.metasrv.heartbeat.instruction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.metadata.Peer;
import io.metasrv.metadata.RegionId;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Instructions as GreptimeDB writes them ({@code src/common/meta/src/instruction.rs} at d701c18150,
 * reference heartbeat §4.4, durable-work §2.3): every text decodes and re-encodes to the same
 * bytes.
 */
class InstructionTest {
  static final RegionIdent IDENT = new RegionIdent(2, 1024, 1, "mito2");

  private static Instruction roundTrip(String json) {
    Instruction instruction = Instruction.fromJson(json);
    assertThat(instruction.toJson()).isEqualTo(json);
    return instruction;
  }

  /** upstream {@code test_serialize_instruction}. */
  @Test
  void openRegion() {
    String json =
        """
        {"OpenRegion":{"region_ident":{"datanode_id":2,"table_id":1024,"region_number":1,\
        "engine":"mito2"},"region_storage_path":"test/foo","region_options":{},\
        "region_wal_options":{},"skip_wal_replay":false}}\
        """;

    assertThat(roundTrip(json))
        .isEqualTo(new Instruction.OpenRegion(IDENT, "test/foo", Map.of(), Map.of(), false));
    assertThat(new Instruction.OpenRegion(IDENT, "test/foo", Map.of(), Map.of(), false).toJson())
        .isEqualTo(json);
  }

  @Test
  void openRegionWithOptionsAndWalOptionsOfACandidate() {
    String json =
        """
        {"OpenRegion":{"region_ident":{"datanode_id":2,"table_id":1024,"region_number":1,\
        "engine":"mito2"},"region_storage_path":"greptime/public",\
        "region_options":{"ttl":"7days","compaction.type":"twcs"},\
        "region_wal_options":{"1":"{\\"wal.provider\\":\\"kafka\\",\\"wal.kafka.topic\\":\\"t_0\\"}"},\
        "skip_wal_replay":true}}\
        """;

    Instruction.OpenRegion open = (Instruction.OpenRegion) roundTrip(json);

    assertThat(open.regionOptions().keySet()).containsExactly("ttl", "compaction.type");
    assertThat(open.regionWalOptions()).containsKey(1L);
    assertThat(open.skipWalReplay()).isTrue();
  }

  /** upstream {@code test_compatible_serialize_open_region}: no wal options, no skip flag. */
  @Test
  void legacyOpenRegionWithoutWalOptions() {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("a", "aa");
    options.put("b", "bb");

    Instruction instruction =
        Instruction.fromJson(
            """
            {"OpenRegion":{"region_ident":{"datanode_id":2,"table_id":1024,"region_number":1,\
            "engine":"mito2"},"region_storage_path":"test/foo","region_options":{"a":"aa","b":"bb"}}}\
            """);

    assertThat(instruction)
        .isEqualTo(new Instruction.OpenRegion(IDENT, "test/foo", options, Map.of(), false));
  }

  /** upstream {@code test_serialize_instruction}. */
  @Test
  void closeRegion() {
    String json =
        """
        {"CloseRegion":{"datanode_id":2,"table_id":1024,"region_number":1,"engine":"mito2"}}\
        """;

    Instruction close = roundTrip(json);

    assertThat(close).isEqualTo(new Instruction.CloseRegion(IDENT));
    assertThat(((Instruction.CloseRegion) close).regionIdent().regionId())
        .isEqualTo(RegionId.of(1024, 1));
  }

  @Test
  void upgradeRegionWithHumantimeReplayTimeout() {
    String json =
        """
        {"UpgradeRegion":{"region_id":4398046511105,"last_entry_id":42,\
        "replay_timeout":"1m 30s","location_id":1}}\
        """;

    assertThat(roundTrip(json))
        .isEqualTo(new Instruction.UpgradeRegion(4398046511105L, 42L, Duration.ofSeconds(90), 1L));
  }

  @Test
  void upgradeRegionAlwaysWritesReplayTimeoutEvenWhenNull() {
    String json =
        """
        {"UpgradeRegion":{"region_id":4398046511105,"last_entry_id":null,\
        "replay_timeout":null,"location_id":null}}\
        """;

    assertThat(roundTrip(json))
        .isEqualTo(new Instruction.UpgradeRegion(4398046511105L, null, null, null));
    assertThat(
            Instruction.fromJson(
                "{\"UpgradeRegion\":{\"region_id\":1,\"replay_timeout\":\"10s\"}}"))
        .isEqualTo(new Instruction.UpgradeRegion(1, null, Duration.ofSeconds(10), null));
    assertThatThrownBy(() -> Instruction.fromJson("{\"UpgradeRegion\":{\"region_id\":1}}"))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("replay_timeout");
    assertThatThrownBy(
            () ->
                Instruction.fromJson(
                    "{\"UpgradeRegion\":{\"region_id\":1,\"replay_timeout\":\"ten\"}}"))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void downgradeRegionWithSerdeDuration() {
    String json =
        """
        {"DowngradeRegion":{"region_id":4398046511105,\
        "flush_timeout":{"secs":9,"nanos":500000000},"reject_write":true}}\
        """;

    assertThat(roundTrip(json))
        .isEqualTo(new Instruction.DowngradeRegion(4398046511105L, Duration.ofMillis(9500), true));
    roundTrip(
        """
        {"DowngradeRegion":{"region_id":4398046511105,"flush_timeout":null,"reject_write":false}}\
        """);
    assertThat(
            Instruction.fromJson("{\"DowngradeRegion\":{\"region_id\":1,\"reject_write\":false}}"))
        .isEqualTo(new Instruction.DowngradeRegion(1, null, false));
    assertThatThrownBy(
            () ->
                Instruction.fromJson(
                    "{\"DowngradeRegion\":{\"region_id\":1,\"flush_timeout\":{\"secs\":1},"
                        + "\"reject_write\":false}}"))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void invalidateCachesWithEveryCacheIdent() {
    String json =
        """
        {"InvalidateCaches":[{"TableId":1024},{"FlowId":7},\
        {"TableName":{"catalog_name":"greptime","schema_name":"public","table_name":"t"}},\
        {"SchemaName":{"catalog_name":"greptime","schema_name":"public"}},\
        {"FlowName":{"catalog_name":"greptime","flow_name":"f"}},\
        {"CreateFlow":{"source_table_ids":[1024,1025],"flownodes":[{"id":3,"addr":"10.0.0.3:6800"}]}},\
        {"DropFlow":{"source_table_ids":[1024],"flownode_ids":[3]}}]}\
        """;

    assertThat(roundTrip(json))
        .isEqualTo(
            new Instruction.InvalidateCaches(
                List.of(
                    new CacheIdent.TableId(1024),
                    new CacheIdent.FlowId(7),
                    new CacheIdent.TableName("greptime", "public", "t"),
                    new CacheIdent.SchemaName("greptime", "public"),
                    new CacheIdent.FlowName("greptime", "f"),
                    new CacheIdent.CreateFlow(
                        List.of(1024L, 1025L), List.of(new Peer(3, "10.0.0.3:6800"))),
                    new CacheIdent.DropFlow(List.of(1024L), List.of(3L)))));
    assertThat(new Instruction.InvalidateCaches(List.of()).toJson())
        .isEqualTo("{\"InvalidateCaches\":[]}");
  }

  /** u64::MAX and 2^63: region, datanode, flownode, entry and location ids are u64. */
  @ParameterizedTest
  @ValueSource(strings = {"18446744073709551615", "9223372036854775808"})
  void u64IdsRoundTripUnsigned(String id) {
    long u64 = Long.parseUnsignedLong(id);
    String upgrade = "{\"UpgradeRegion\":{\"region_id\":" + id + ",\"last_entry_id\":" + id
        + ",\"replay_timeout\":\"10s\",\"location_id\":" + id + "}}";
    assertThat(roundTrip(upgrade))
        .isEqualTo(new Instruction.UpgradeRegion(u64, u64, Duration.ofSeconds(10), u64));

    String downgrade = "{\"DowngradeRegion\":{\"region_id\":" + id
        + ",\"flush_timeout\":null,\"reject_write\":true}}";
    assertThat(roundTrip(downgrade)).isEqualTo(new Instruction.DowngradeRegion(u64, null, true));

    String close = "{\"CloseRegion\":{\"datanode_id\":" + id
        + ",\"table_id\":4294967295,\"region_number\":4294967295,\"engine\":\"mito2\"}}";
    RegionIdent ident = ((Instruction.CloseRegion) roundTrip(close)).regionIdent();
    assertThat(ident.datanodeId()).isEqualTo(u64);
    assertThat(ident.regionId()).isEqualTo(Long.parseUnsignedLong("18446744073709551615"));

    String caches = "{\"InvalidateCaches\":[{\"CreateFlow\":{\"source_table_ids\":[1024],"
        + "\"flownodes\":[{\"id\":" + id + ",\"addr\":\"10.0.0.3:6800\"}]}},"
        + "{\"DropFlow\":{\"source_table_ids\":[1024],\"flownode_ids\":[" + id + ",3]}}]}";
    assertThat(roundTrip(caches)).isEqualTo(new Instruction.InvalidateCaches(List.of(
        new CacheIdent.CreateFlow(List.of(1024L), List.of(new Peer(u64, "10.0.0.3:6800"))),
        new CacheIdent.DropFlow(List.of(1024L), List.of(u64, 3L)))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "18446744073709551616"})
  void idsOutsideU64AreRefused(String id) {
    for (String json : List.of(
        "{\"UpgradeRegion\":{\"region_id\":" + id + ",\"replay_timeout\":null}}",
        "{\"UpgradeRegion\":{\"region_id\":1,\"last_entry_id\":" + id
            + ",\"replay_timeout\":null}}",
        "{\"DowngradeRegion\":{\"region_id\":" + id + ",\"reject_write\":true}}",
        "{\"CloseRegion\":{\"datanode_id\":" + id
            + ",\"table_id\":1024,\"region_number\":1,\"engine\":\"mito2\"}}",
        "{\"InvalidateCaches\":[{\"DropFlow\":{\"source_table_ids\":[],\"flownode_ids\":["
            + id + "]}}]}")) {
      assertThatThrownBy(() -> Instruction.fromJson(json))
          .as(json)
          .isInstanceOf(MalformedMessageException.class)
          .hasMessageContaining("expected u64");
    }
  }

  @Test
  void unknownOrMalformedInstructionsAreRefused() {
    for (String json :
        List.of(
            "{\"FlushRegions\":{\"region_ids\":[1]}}",
            "{\"CloseRegion\":{\"datanode_id\":2,\"table_id\":1024,\"region_number\":1}}",
            "{\"CloseRegion\":{},\"OpenRegion\":{}}",
            "\"CloseRegion\"",
            "{\"InvalidateCaches\":[{\"TableId\":-1}]}",
            "{\"InvalidateCaches\":[{\"Table\":1}]}",
            "{\"InvalidateCaches\":{}}",
            "not json",
            "")) {
      assertThatThrownBy(() -> Instruction.fromJson(json))
          .as(json)
          .isInstanceOf(MalformedMessageException.class);
    }
  }
}
