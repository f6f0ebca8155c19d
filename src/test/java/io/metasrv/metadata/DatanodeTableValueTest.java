package io.metasrv.metadata;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code __dn_table} values as GreptimeDB writes them ({@code key/datanode_table.rs}). */
class DatanodeTableValueTest {
  /** A Kafka-WAL table: options and WAL options as the create-table txn writes them. */
  static final String KAFKA_TABLE =
      "{\"table_id\":1024,\"regions\":[1,2],\"engine\":\"mito\","
          + "\"region_storage_path\":\"greptime/public\","
          + "\"region_options\":{\"ttl\":\"7days\",\"write_buffer_size\":\"1MiB\"},"
          + "\"region_wal_options\":{\"2\":\"{\\\"wal.provider\\\":\\\"kafka\\\","
          + "\\\"wal.kafka.topic\\\":\\\"greptimedb_wal_topic_1\\\"}\","
          + "\"1\":\"{\\\"wal.provider\\\":\\\"kafka\\\","
          + "\\\"wal.kafka.topic\\\":\\\"greptimedb_wal_topic_0\\\"}\"},\"version\":0}";

  @Test
  void decodesAndReencodesToTheSameBytesKeepingHashMapOrder() {
    DatanodeTableValue value = DatanodeTableValue.decode(utf8(KAFKA_TABLE));

    assertThat(value.tableId()).isEqualTo(1024);
    assertThat(value.regions()).containsExactly(1L, 2L);
    assertThat(value.engine()).isEqualTo("mito");
    assertThat(value.regionStoragePath()).isEqualTo("greptime/public");
    assertThat(value.regionOptions()).containsEntry("ttl", "7days");
    assertThat(value.regionWalOptions().keySet()).containsExactly(2L, 1L);
    assertThat(value.regionWalOptions().get(1L)).contains("greptimedb_wal_topic_0");
    assertThat(utf8(value.encode())).isEqualTo(KAFKA_TABLE);
  }

  /** upstream {@code test_serialization}. */
  @Test
  void defaultRegionInfoIsWrittenAsUpstreamWritesIt() {
    DatanodeTableValue value =
        new DatanodeTableValue(42, List.of(1L, 2L, 3L), "", "", Map.of(), Map.of(), 1);

    assertThat(utf8(value.encode()))
        .isEqualTo(
            "{\"table_id\":42,\"regions\":[1,2,3],\"engine\":\"\",\"region_storage_path\":\"\","
                + "\"region_options\":{},\"region_wal_options\":{},\"version\":1}");
  }

  /** upstream: the region info fields are {@code #[serde(default)]}. */
  @Test
  void missingRegionInfoFieldsDefaultToEmpty() {
    DatanodeTableValue value =
        DatanodeTableValue.decode(utf8("{\"table_id\":42,\"regions\":[1,2,3],\"version\":1}"));

    assertThat(value.regionInfo()).isEqualTo(new RegionInfo("", "", Map.of(), Map.of()));
    assertThat(value.version()).isEqualTo(1);
  }

  @Test
  void tableIdRegionsAndVersionAreRequired() {
    for (String json :
        List.of(
            "{\"regions\":[1],\"version\":0}",
            "{\"table_id\":1,\"version\":0}",
            "{\"table_id\":1,\"regions\":[1]}",
            "{\"table_id\":null,\"regions\":[1],\"version\":0}",
            "{\"table_id\":1,\"regions\":[1],\"region_wal_options\":{\"x\":\"y\"},\"version\":0}")) {
      assertThatThrownBy(() -> DatanodeTableValue.decode(utf8(json)))
          .as(json)
          .isInstanceOf(InvalidMetadataException.class);
    }
  }

  @Test
  void builtFromRegionInfoAtVersionZeroInTheGivenMapOrder() {
    Map<Long, String> wal = new LinkedHashMap<>();
    wal.put(3L, "{\"wal.provider\":\"raft_engine\"}");
    wal.put(1L, "{\"wal.provider\":\"raft_engine\"}");
    RegionInfo info = new RegionInfo("mito", "greptime/public", Map.of(), wal);

    DatanodeTableValue value = DatanodeTableValue.of(1024, List.of(1L), info);

    assertThat(utf8(value.encode()))
        .isEqualTo(
            "{\"table_id\":1024,\"regions\":[1],\"engine\":\"mito\","
                + "\"region_storage_path\":\"greptime/public\",\"region_options\":{},"
                + "\"region_wal_options\":{\"3\":\"{\\\"wal.provider\\\":\\\"raft_engine\\\"}\","
                + "\"1\":\"{\\\"wal.provider\\\":\\\"raft_engine\\\"}\"},\"version\":0}");
    assertThat(value.regionInfo()).isEqualTo(info);
  }
}
