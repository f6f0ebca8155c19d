package io.metasrv.cluster;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.FlowStat;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Values of the leader's in-memory view, GreptimeDB's reference §2.2 and §7.1. */
class ClusterValuesTest {

  @Test
  void leaseValue() {
    String json = "{\"timestamp_millis\":111,\"node_addr\":\"127.0.0.1:3002\"}";

    LeaseValue lease = LeaseValue.decode(utf8(json));

    assertThat(lease).isEqualTo(new LeaseValue(111, "127.0.0.1:3002"));
    assertThat(utf8(lease.encode())).isEqualTo(json);
    assertThatThrownBy(() -> LeaseValue.decode(utf8("{\"timestamp_millis\":111}")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @Test
  void leaseValueIsWrittenAsTheMapperWritesIt() {
    for (LeaseValue lease : List.of(new LeaseValue(-1, ""), new LeaseValue(Long.MIN_VALUE,
        "h\u00f6st\n\"\\:1"), new LeaseValue(Long.MAX_VALUE, "10.0.0.1:4001"))) {
      assertThat(utf8(lease.encode())).isEqualTo(io.metasrv.metadata.SerdeJson.writeString(lease));
    }
  }

  @Test
  void aliveIsAStrictUnsignedComparison() {
    LeaseValue lease = new LeaseValue(100_000, "a");

    assertThat(lease.aliveAt(100_000, LeaseValue.LEASE_MILLIS)).isTrue();
    assertThat(lease.aliveAt(109_999, LeaseValue.LEASE_MILLIS)).isTrue();
    assertThat(lease.aliveAt(110_000, LeaseValue.LEASE_MILLIS)).isFalse();
    assertThat(lease.aliveAt(99_999, LeaseValue.LEASE_MILLIS))
        .as("timestamp in the future")
        .isFalse();
  }

  static final String DATANODE_INFO =
      """
      {"peer":{"id":1,"addr":"10.0.0.1:4001"},"last_activity_ts":1743400000000,\
      "status":{"Datanode":{"rcus":0,"wcus":0,"leader_regions":2,"follower_regions":1}},\
      "version":"0.14.0","git_commit":"d701c181504c694902b42b23108db5096dddb20f",\
      "start_time_ms":1743300000000}\
      """;

  @Test
  void nodeInfoOfEveryStatusRoundTripsByteForByte() {
    NodeInfo datanode = NodeInfo.decode(utf8(DATANODE_INFO));
    assertThat(datanode.peer()).isEqualTo(new Peer(1, "10.0.0.1:4001"));
    assertThat(datanode.status()).isEqualTo(new NodeStatus.Datanode(0, 0, 2, 1));
    assertThat(utf8(datanode.encode())).isEqualTo(DATANODE_INFO);

    for (String status :
        List.of(
            "{\"Frontend\":{}}",
            "{\"Flownode\":{}}",
            "{\"Metasrv\":{\"is_leader\":true}}",
            "\"Standalone\"")) {
      String json =
          "{\"peer\":{\"id\":0,\"addr\":\"127.0.0.1:4001\"},\"last_activity_ts\":-1,\"status\":"
              + status
              + ",\"version\":\"\",\"git_commit\":\"\",\"start_time_ms\":0}";
      assertThat(utf8(NodeInfo.decode(utf8(json)).encode())).isEqualTo(json);
    }
  }

  @Test
  void nodeInfoIsWrittenAsTheMapperWritesIt() {
    for (NodeStatus status : List.of(new NodeStatus.Datanode(-1, Long.MIN_VALUE, 0, 7),
        new NodeStatus.Frontend(), new NodeStatus.Flownode(), new NodeStatus.Metasrv(true),
        new NodeStatus.Metasrv(false), new NodeStatus.Standalone())) {
      NodeInfo info = new NodeInfo(new Peer(-1, "h\u00f6st\u0000:1"), 1743400000000L, status,
          "0.14.0\"", "\\", Long.MAX_VALUE);
      assertThat(utf8(info.encode())).as(status.toString())
          .isEqualTo(io.metasrv.metadata.SerdeJson.writeString(info));
    }
  }

  @Test
  void nodeInfoFieldsAreAllRequired() {
    for (String broken :
        List.of(
            DATANODE_INFO.replace(
                ",\"git_commit\":\"d701c181504c694902b42b23108db5096dddb20f\"", ""),
            DATANODE_INFO.replace("\"follower_regions\":1", "\"follower\":1"),
            DATANODE_INFO.replace("\"leader_regions\":2", "\"leader_regions\":-2"),
            DATANODE_INFO.replace("{\"Datanode\":", "{\"Storage\":"),
            DATANODE_INFO.replace("\"start_time_ms\":1743300000000", "\"start_time_ms\":null"))) {
      assertThatThrownBy(() -> NodeInfo.decode(utf8(broken)))
          .as(broken)
          .isInstanceOf(InvalidMetadataException.class);
    }
  }

  static final String STAT_ARRAY =
      """
      [{"timestamp_millis":1743400000000,"id":1,"addr":"10.0.0.1:4001","rcus":0,"wcus":0,\
      "region_num":2,"region_stats":[{"id":4398046511105,"rcus":0,"wcus":0,\
      "approximate_bytes":4096,"engine":"mito","role":"Leader","num_rows":10,\
      "memtable_size":1024,"manifest_size":512,"sst_size":2048,"index_size":0,\
      "manifest_version":3},{"id":4398046511106,"rcus":0,"wcus":0,"approximate_bytes":0,\
      "engine":"mito","role":"DowngradingLeader","num_rows":0,"memtable_size":0,\
      "manifest_size":0,"sst_size":0,"index_size":0,"manifest_version":0}],\
      "node_epoch":1743300000000}]\
      """;

  @Test
  void statArrayRoundTripsByteForByte() {
    List<Stat> stats = Stat.decodeAll(utf8(STAT_ARRAY));

    assertThat(stats).hasSize(1);
    Stat stat = stats.get(0);
    assertThat(stat.regionStats().get(1).role()).isEqualTo(RegionRole.DowngradingLeader);
    assertThat(stat.tableIds()).containsExactly(1024L);
    assertThat(utf8(Stat.encodeAll(stats))).isEqualTo(STAT_ARRAY);
    assertThat(utf8(stat.encode())).isEqualTo(STAT_ARRAY.substring(1, STAT_ARRAY.length() - 1));
  }

  @Test
  void everyStatFieldIsRequired() {
    for (String field : List.of(",\"node_epoch\":1743300000000", ",\"manifest_version\":3")) {
      String broken = STAT_ARRAY.replace(field, "");
      assertThatThrownBy(() -> Stat.decodeAll(utf8(broken)))
          .as(broken)
          .isInstanceOf(InvalidMetadataException.class);
    }
    assertThatThrownBy(() -> Stat.decodeAll(utf8(STAT_ARRAY.replace("\"Leader\"", "\"Writer\""))))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"18446744073709551615", "9223372036854775808"})
  void statDatanodeAndRegionIdsRoundTripUnsigned(String id) {
    String json = STAT_ARRAY.replace("\"id\":1,", "\"id\":" + id + ",")
        .replace("\"id\":4398046511105,", "\"id\":" + id + ",");

    Stat stat = Stat.decodeAll(utf8(json)).get(0);

    assertThat(stat.id()).isEqualTo(Long.parseUnsignedLong(id));
    assertThat(stat.regionStats().get(0).id()).isEqualTo(Long.parseUnsignedLong(id));
    assertThat(stat.tableIds()).containsExactly(Long.parseUnsignedLong(id) >>> 32, 1024L);
    assertThat(utf8(Stat.encodeAll(List.of(stat)))).isEqualTo(json);

    String info = DATANODE_INFO.replace("\"id\":1,", "\"id\":" + id + ",");
    assertThat(NodeInfo.decode(utf8(info)).peer().id()).isEqualTo(Long.parseUnsignedLong(id));
    assertThat(utf8(NodeInfo.decode(utf8(info)).encode())).isEqualTo(info);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "18446744073709551616", "1.5"})
  void statIdsOutsideU64AreRefused(String id) {
    for (String broken : List.of(
        STAT_ARRAY.replace("\"id\":1,", "\"id\":" + id + ","),
        STAT_ARRAY.replace("\"id\":4398046511105,", "\"id\":" + id + ","))) {
      assertThatThrownBy(() -> Stat.decodeAll(utf8(broken)))
          .as(broken).isInstanceOf(InvalidMetadataException.class).hasMessageContaining("u64");
    }
    String info = DATANODE_INFO.replace("\"id\":1,", "\"id\":" + id + ",");
    assertThatThrownBy(() -> NodeInfo.decode(utf8(info)))
        .isInstanceOf(InvalidMetadataException.class).hasMessageContaining("u64");
  }

  @Test
  void statFromAHeartbeatWithRegionStatistics() {
    HeartbeatRequest request =
        HeartbeatRequest.newBuilder()
            .setHeader(RequestHeader.newBuilder().setRole(Role.DATANODE).setMemberId(1))
            .setPeer(io.metasrv.protocol.Peer.newBuilder().setId(1).setAddr("10.0.0.1:4001"))
            .setNodeEpoch(1743300000000L)
            .addRegionStats(
                io.metasrv.protocol.RegionStat.newBuilder()
                    .setRegionId(4398046511105L)
                    .setRcus(3)
                    .setWcus(4)
                    .setApproximateBytes(4096)
                    .setEngine("mito")
                    .setRole(RegionRole.Leader)
                    .putExtensions(
                        RegionStat.REGION_STATISTIC_KEY,
                        ByteString.copyFromUtf8(
                            "{\"num_rows\":10,\"memtable_size\":1024,\"wal_size\":512,"
                                + "\"manifest_size\":512,\"sst_size\":2048,\"manifest_version\":3}")))
            .addRegionStats(
                io.metasrv.protocol.RegionStat.newBuilder()
                    .setRegionId(4398046511106L)
                    .setRcus(1)
                    .setEngine("mito")
                    .setRoleValue(2)
                    .putExtensions(
                        RegionStat.REGION_STATISTIC_KEY,
                        ByteString.copyFromUtf8("{\"num_rows\":10,\"memtable_size\":1024}")))
            .build();

    Stat stat = fromRequest(request, 1743400000000L).orElseThrow();

    assertThat(stat.timestampMillis()).isEqualTo(1743400000000L);
    assertThat(stat.rcus()).isEqualTo(4);
    assertThat(stat.wcus()).isEqualTo(4);
    assertThat(stat.regionNum()).isEqualTo(2);
    RegionStat first = stat.regionStats().get(0);
    assertThat(
            List.of(
                first.numRows(),
                first.memtableSize(),
                first.manifestSize(),
                first.sstSize(),
                first.indexSize(),
                first.manifestVersion()))
        .containsExactly(10L, 1024L, 512L, 2048L, 0L, 3L);
    RegionStat second = stat.regionStats().get(1);
    assertThat(second.role()).isEqualTo(RegionRole.DowngradingLeader);
    assertThat(second.numRows()).as("an incomplete statistic counts as absent").isZero();
    assertThat(second.memtableSize()).isZero();

    Stat filtered = stat.withoutRegions(Set.of(4398046511105L));
    assertThat(filtered.regionNum()).isEqualTo(1);
    assertThat(filtered.rcus()).isEqualTo(1);
    assertThat(filtered.wcus()).isZero();

    HeartbeatRequest handshake =
        HeartbeatRequest.newBuilder().setHeader(RequestHeader.getDefaultInstance()).build();
    assertThat(fromRequest(handshake, 0)).isEmpty();
  }

  /**
   * Region statistics in every form a JSON parser reads: serde's flat form and whitespace around
   * it are read without a tree, anything else with one, with the same outcome either way.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"num_rows\":10,\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,"
          + "\"sst_size\":2048,\"index_size\":7,\"manifest_version\":3}",
      " \t{ \"num_rows\" : 10 ,\n\"memtable_size\":1024,\r\"wal_size\":5,\"manifest_size\":512"
          + ",\"sst_size\":2048,\"index_size\":7,\"manifest_version\":3 }\n",
      "{\"num_rows\":1,\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,"
          + "\"sst_size\":2048,\"index_size\":7,\"manifest_version\":3,\"num_rows\":10}",
      "{\"extra\":{\"a\":[1,\"x\"]},\"num_rows\":10,\"memtable_size\":1024,\"wal_size\":5,"
          + "\"manifest_size\":512,\"sst_size\":2048,\"index_size\":7,\"manifest_version\":3,"
          + "\"written_bytes\":-1.5}",
      "{\"num_rows\":10,\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,"
          + "\"sst_size\":2048,\"index_size\":7,\"manifest_version\":3,\"n\\u0061me\":1}",
      "\uFEFF{\"num_rows\":10,\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,"
          + "\"sst_size\":2048,\"index_size\":7,\"manifest_version\":3}"})
  void regionStatisticsAreReadInEveryJsonForm(String statistic) {
    RegionStat region = read(regionStatWith(statistic));

    assertThat(List.of(region.numRows(), region.memtableSize(), region.manifestSize(),
        region.sstSize(), region.indexSize(), region.manifestVersion()))
        .containsExactly(10L, 1024L, 512L, 2048L, 7L, 3L);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "null",
      "[]",
      "{}",
      "{\"num_rows\":10,\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":-1}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":1.0}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":\"1\"}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":01}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":1e3}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,"
          + "\"sst_size\":9223372036854775808}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":2,"
          + "\"num_rows\":null}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":2} x",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":2,}",
      "{\"memtable_size\":1024,\"wal_size\":5,\"manifest_size\":512,\"sst_size\":2",
      "{\"memtable_size\":1024 \"wal_size\":5,\"manifest_size\":512,\"sst_size\":2}"})
  void aRegionStatisticThatIsNotGreptimeDbsCountsAsAbsent(String statistic) {
    RegionStat region = read(regionStatWith(statistic));

    assertThat(List.of(region.numRows(), region.memtableSize(), region.manifestSize(),
        region.sstSize(), region.indexSize(), region.manifestVersion()))
        .containsOnly(0L);
  }

  @Test
  void theLargestFlatNumbersAreReadExactly() {
    String statistic = "{\"memtable_size\":999999999999999999,\"wal_size\":0,"
        + "\"manifest_size\":0,\"sst_size\":9223372036854775807,\"num_rows\":0}";

    RegionStat region = read(regionStatWith(statistic));

    assertThat(region.memtableSize()).isEqualTo(999_999_999_999_999_999L);
    assertThat(region.sstSize()).isEqualTo(Long.MAX_VALUE);
  }

  private static Optional<Stat> fromRequest(HeartbeatRequest request, long nowMillis) {
    List<RegionStat> regions = request.getRegionStatsList().stream()
        .map(ClusterValuesTest::read).toList();
    return Stat.fromRequest(request.toBuilder().clearRegionStats().build(), regions, nowMillis);
  }

  private static RegionStat read(io.metasrv.protocol.RegionStat message) {
    byte[] bytes = message.toByteArray();
    try {
      return new RegionStat.Reader().read(bytes, 0, bytes.length);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static io.metasrv.protocol.RegionStat regionStatWith(String statistic) {
    return io.metasrv.protocol.RegionStat.newBuilder()
        .setRegionId(4398046511105L)
        .setEngine("mito")
        .putExtensions(RegionStat.REGION_STATISTIC_KEY, ByteString.copyFromUtf8(statistic))
        .build();
  }

  /** Stats are written field by field; the output is the mapper's, byte for byte. */
  @Test
  void statArrayIsWrittenAsTheMapperWritesIt() {
    List<Stat> stats = List.of(
        new Stat(1743400000000L, -1L, "10.0.0.1:4001\u0001\"\\\u007f\u00e9\uD83D\uDE00", -3, 4, 2,
            List.of(
                new RegionStat(-2L, 1, -2, 3, "mito\n\t", RegionRole.DowngradingLeader, 4, 5,
                    6, 7, 8, Long.MIN_VALUE),
                new RegionStat(4398046511105L, 0, 0, 0, "", RegionRole.Follower, 0, 0, 0, 0,
                    0, Long.MAX_VALUE)),
            Long.MAX_VALUE),
        new Stat(0, 0, "", 0, 0, 0, List.of(), -1));

    assertThat(utf8(Stat.encodeAll(stats)))
        .isEqualTo(io.metasrv.metadata.SerdeJson.writeString(stats));
    assertThat(utf8(Stat.encodeAll(List.of()))).isEqualTo("[]");
    assertThat(Stat.decodeAll(Stat.encodeAll(stats))).isEqualTo(stats);
  }

  @Test
  void flowStateIsSortedNumericallyWithStringKeys() {
    FlowStat report =
        FlowStat.newBuilder()
            .putFlowStatSize(10, 0)
            .putFlowStatSize(2, 1024)
            .putFlowLastExecTimeMap(2, 1743400000000L)
            .build();

    FlowStateValue value = FlowStateValue.fromProto(report);

    String json =
        "{\"state_size\":{\"2\":1024,\"10\":0},\"last_exec_time_map\":{\"2\":1743400000000}}";
    assertThat(utf8(value.encode())).isEqualTo(json);
    assertThat(FlowStateValue.decode(utf8(json))).isEqualTo(value);
    assertThat(
            FlowStateValue.decode(
                    utf8("{\"state_size\":{\"10\":0,\"2\":1},\"last_exec_time_map\":{}}"))
                .stateSize()
                .keySet())
        .containsExactly(2L, 10L);
    assertThat(value.stateSize()).isEqualTo(Map.of(2L, 1024L, 10L, 0L));
  }
}
