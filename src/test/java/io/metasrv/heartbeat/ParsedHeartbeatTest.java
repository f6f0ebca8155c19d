package io.metasrv.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.metasrv.cluster.RegionStat;
import io.metasrv.protocol.FlowStat;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.NodeInfo;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.TimeInterval;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Heartbeat requests read as the generated parser reads them, region stats straight to records. */
class ParsedHeartbeatTest {
  private static final String STATISTIC = "{\"num_rows\":10,\"memtable_size\":1024,"
      + "\"wal_size\":5,\"manifest_size\":512,\"sst_size\":2048,\"index_size\":7,"
      + "\"manifest_version\":3}";

  private static io.metasrv.protocol.RegionStat region(long id, RegionRole role) {
    return io.metasrv.protocol.RegionStat.newBuilder().setRegionId(id).setRcus(id % 7)
        .setWcus(-3).setApproximateBytes(1L << 40).setEngine(id % 2 == 0 ? "mito" : "métric")
        .setRole(role).putExtensions("__other", ByteString.copyFromUtf8("x"))
        .putExtensions(RegionStat.REGION_STATISTIC_KEY, ByteString.copyFromUtf8(STATISTIC))
        .build();
  }

  /** Every field of the request, region stats between the others, and a field it does not know. */
  private static byte[] fullRequest() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeMessage(4, region(4398046511105L, RegionRole.Leader));
    out.writeMessage(1, RequestHeader.newBuilder().setRole(Role.DATANODE).setMemberId(7)
        .setProtocolVersion(1).build());
    out.writeMessage(2, Peer.newBuilder().setId(7).setAddr("10.0.0.7:4001").build());
    out.writeMessage(4, region(4398046511106L, RegionRole.Follower));
    out.writeMessage(3, TimeInterval.newBuilder().setStartTimestampMillis(1)
        .setEndTimestampMillis(2).build());
    out.writeUInt64(6, 123_456);
    out.writeString(1000, "a field this leader does not know");
    out.writeUInt64(7, 1743300000000L);
    out.writeMessage(8, NodeInfo.newBuilder().setVersion("0.14.0").setCpus(4).build());
    out.writeMessage(9, FlowStat.newBuilder().putFlowStatSize(1, 2).build());
    out.writeMessage(4, region(4398046511107L, RegionRole.DowngradingLeader));
    out.writeMessage(5, MailboxMessage.newBuilder().setId(3).setSubject("s").build());
    out.flush();
    return bytes.toByteArray();
  }

  @Test
  void everythingButTheRegionStatsIsTheGeneratedParsersRequestAndTheStatsKeepTheirOrder()
      throws Exception {
    byte[] bytes = fullRequest();
    HeartbeatRequest generated = HeartbeatRequest.parseFrom(bytes);

    ParsedHeartbeat parsed = ParsedHeartbeat.parse(bytes);

    assertThat(parsed.request()).isEqualTo(generated.toBuilder().clearRegionStats().build());
    assertThat(parsed.regionStats()).containsExactly(
        new RegionStat(4398046511105L, 4398046511105L % 7, -3, 1L << 40, "métric",
            RegionRole.Leader, 10, 1024, 512, 2048, 7, 3),
        new RegionStat(4398046511106L, 4398046511106L % 7, -3, 1L << 40, "mito",
            RegionRole.Follower, 10, 1024, 512, 2048, 7, 3),
        new RegionStat(4398046511107L, 4398046511107L % 7, -3, 1L << 40, "métric",
            RegionRole.DowngradingLeader, 10, 1024, 512, 2048, 7, 3));
  }

  @Test
  void aRegionStatReadsAsGreptimeDbsLeaderReadsIt() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeUInt64(1, 9);
    out.writeEnum(7, 42); // a role this version does not know: Leader, prost's default
    out.writeString(500, "unknown field");
    entry(out, RegionStat.REGION_STATISTIC_KEY, "{\"memtable_size\":1}"); // replaced below
    entry(out, "__other", "{}");
    entry(out, RegionStat.REGION_STATISTIC_KEY, STATISTIC);
    out.flush();
    byte[] message = bytes.toByteArray();

    assertThat(new RegionStat.Reader().read(message, 0, message.length)).isEqualTo(
        new RegionStat(9, 0, 0, 0, "", RegionRole.Leader, 10, 1024, 512, 2048, 7, 3));

    ByteArrayOutputStream withoutValue = new ByteArrayOutputStream();
    CodedOutputStream entryOut = CodedOutputStream.newInstance(withoutValue);
    entryOut.writeUInt64(1, 9);
    entryOut.writeTag(99, 2);
    byte[] keyOnly = keyOnlyEntry(RegionStat.REGION_STATISTIC_KEY);
    entryOut.writeUInt32NoTag(keyOnly.length);
    entryOut.writeRawBytes(keyOnly);
    entryOut.flush();
    byte[] noValue = withoutValue.toByteArray();
    assertThat(new RegionStat.Reader().read(noValue, 0, noValue.length)).as("an empty statistic: zeros")
        .isEqualTo(new RegionStat(9, 0, 0, 0, "", RegionRole.Leader, 0, 0, 0, 0, 0, 0));
  }

  /** One reader reads every region of a request; nothing of one region carries to the next. */
  @Test
  void nothingOfOneRegionCarriesToTheNext() throws Exception {
    String required = "{\"memtable_size\":1,\"wal_size\":2,\"manifest_size\":3,"
        + "\"sst_size\":4}";
    HeartbeatRequest request = HeartbeatRequest.newBuilder()
        .addRegionStats(region(1, RegionRole.Leader))
        .addRegionStats(io.metasrv.protocol.RegionStat.newBuilder().setRegionId(2)
            .setEngine("mito").putExtensions(RegionStat.REGION_STATISTIC_KEY,
                ByteString.copyFromUtf8(required)))
        .addRegionStats(io.metasrv.protocol.RegionStat.newBuilder().setRegionId(3)
            .setEngine("mito").putExtensions(RegionStat.REGION_STATISTIC_KEY,
                ByteString.copyFromUtf8("{\"memtable_size\":1}")))
        .addRegionStats(io.metasrv.protocol.RegionStat.newBuilder().setRegionId(4))
        .build();

    assertThat(ParsedHeartbeat.of(request).regionStats()).containsExactly(
        new RegionStat(1, 1, -3, 1L << 40, "métric", RegionRole.Leader, 10, 1024, 512, 2048, 7,
            3),
        new RegionStat(2, 0, 0, 0, "mito", RegionRole.Leader, 0, 1, 3, 4, 0, 0),
        new RegionStat(3, 0, 0, 0, "mito", RegionRole.Leader, 0, 0, 0, 0, 0, 0),
        new RegionStat(4, 0, 0, 0, "", RegionRole.Leader, 0, 0, 0, 0, 0, 0));
  }

  /** Every prefix of a request is refused by both or read alike by both. */
  @Test
  void aTruncatedRequestIsRefusedExactlyWhenTheGeneratedParserRefusesIt() throws Exception {
    byte[] bytes = fullRequest();
    int refused = 0;
    for (int length = 0; length <= bytes.length; length++) {
      byte[] prefix = Arrays.copyOf(bytes, length);
      HeartbeatRequest generated;
      try {
        generated = HeartbeatRequest.parseFrom(prefix);
      } catch (InvalidProtocolBufferException e) {
        refused++;
        assertThatThrownBy(() -> ParsedHeartbeat.parse(prefix)).as("prefix of %d", length)
            .isInstanceOf(InvalidProtocolBufferException.class);
        continue;
      }
      ParsedHeartbeat parsed = ParsedHeartbeat.parse(prefix);
      assertThat(parsed.request()).isEqualTo(generated.toBuilder().clearRegionStats().build());
      assertThat(parsed.regionStats()).extracting(RegionStat::id).containsExactlyElementsOf(
          generated.getRegionStatsList().stream()
              .map(io.metasrv.protocol.RegionStat::getRegionId).toList());
    }
    assertThat(refused).as("most prefixes cut a field").isGreaterThan(bytes.length / 2);
  }

  @Test
  void malformedRegionStatsAreRefusedAsTheGeneratedParserRefusesThem() throws Exception {
    byte[] badEngine = {0x32, 0x02, (byte) 0xc3, 0x28}; // engine: invalid UTF-8
    byte[] badKey = {(byte) 0x9a, 0x06, 0x04, 0x0a, 0x02, (byte) 0xc3, 0x28}; // map key: same
    byte[] strayEndGroup = {0x08, 0x01, 0x0c}; // end-group tag of field 1
    for (byte[] regionStat : List.of(badEngine, badKey, strayEndGroup)) {
      byte[] request = new byte[regionStat.length + 2];
      request[0] = 0x22;
      request[1] = (byte) regionStat.length;
      System.arraycopy(regionStat, 0, request, 2, regionStat.length);
      assertThatThrownBy(() -> HeartbeatRequest.parseFrom(request))
          .isInstanceOf(InvalidProtocolBufferException.class);
      assertThatThrownBy(() -> ParsedHeartbeat.parse(request))
          .isInstanceOf(InvalidProtocolBufferException.class);
    }
    byte[] topLevelEndGroup = {0x30, 0x01, 0x0c};
    assertThatThrownBy(() -> HeartbeatRequest.parseFrom(topLevelEndGroup))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> ParsedHeartbeat.parse(topLevelEndGroup))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void aBuiltRequestReadsAsItsBytes() {
    HeartbeatRequest request = HeartbeatRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setRole(Role.DATANODE).setMemberId(1))
        .addRegionStats(region(4398046511106L, RegionRole.Leader))
        .build();

    ParsedHeartbeat parsed = ParsedHeartbeat.of(request);

    assertThat(parsed.request()).isEqualTo(request.toBuilder().clearRegionStats().build());
    assertThat(parsed.regionStats()).extracting(RegionStat::id).containsExactly(4398046511106L);
    assertThat(ParsedHeartbeat.of(HeartbeatRequest.getDefaultInstance()).regionStats()).isEmpty();
  }

  private static void entry(CodedOutputStream out, String key, String value) throws IOException {
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    CodedOutputStream entryOut = CodedOutputStream.newInstance(entry);
    entryOut.writeString(1, key);
    entryOut.writeBytes(2, ByteString.copyFromUtf8(value));
    entryOut.flush();
    out.writeByteArray(99, entry.toByteArray());
  }

  private static byte[] keyOnlyEntry(String key) throws IOException {
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    CodedOutputStream entryOut = CodedOutputStream.newInstance(entry);
    entryOut.writeString(1, key);
    entryOut.flush();
    return entry.toByteArray();
  }
}
