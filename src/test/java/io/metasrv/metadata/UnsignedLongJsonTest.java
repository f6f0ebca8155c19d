package io.metasrv.metadata;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GreptimeDB's {@code u64} ids as serde writes them: a region id of a table id of 2^31 or more is
 * above {@code Long.MAX_VALUE} and written as a plain unsigned number.
 */
class UnsignedLongJsonTest {
  private static long u64(String digits) {
    return Long.parseUnsignedLong(digits);
  }

  /** u64::MAX, 2^63 (the first id a signed long cannot hold), the largest signed long, 0. */
  @ParameterizedTest
  @ValueSource(strings = {"18446744073709551615", "9223372036854775808", "9223372036854775807",
      "0"})
  void peerIdsRoundTripUnsigned(String id) {
    String json = "{\"id\":" + id + ",\"addr\":\"10.0.0.1:4001\"}";

    Peer peer = SerdeJson.read(utf8(json), Peer.class, "Peer");

    assertThat(peer).isEqualTo(new Peer(u64(id), "10.0.0.1:4001"));
    assertThat(SerdeJson.writeString(peer)).isEqualTo(json);
    assertThat(utf8(new NodeAddressValue(peer).encode())).isEqualTo("{\"peer\":" + json + "}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"18446744073709551615", "9223372036854775808"})
  void physicalRouteRegionAndPeerIdsRoundTripUnsigned(String id) {
    // Table 4294967295 (u32::MAX), region 4294967295: u64::MAX; table 2^31, region 0: 2^63.
    String json =
        "{\"type\":\"physical\",\"region_routes\":[{\"region\":{\"id\":" + id
            + ",\"name\":\"\",\"partition\":null,\"attrs\":{}},\"leader_peer\":{\"id\":" + id
            + ",\"addr\":\"10.0.0.1:4001\"},\"follower_peers\":[{\"id\":" + id
            + ",\"addr\":\"10.0.0.2:4001\"}],\"leader_down_since\":null}],\"version\":0}";

    PhysicalTableRouteValue route = (PhysicalTableRouteValue) TableRouteValue.decode(utf8(json));

    RegionRoute only = route.regionRoutes().get(0);
    assertThat(only.regionId()).isEqualTo(u64(id));
    assertThat(only.ledBy(u64(id))).isTrue();
    assertThat(only.followedBy(u64(id))).isTrue();
    assertThat(utf8(route.encode())).isEqualTo(json);
  }

  @ParameterizedTest
  @ValueSource(strings = {"18446744073709551615", "9223372036854775808"})
  void logicalRouteRegionIdsRoundTripUnsigned(String id) {
    String json =
        "{\"type\":\"logical\",\"physical_table_id\":1024,\"region_ids\":[" + id + ",1]}";

    TableRouteValue route = TableRouteValue.decode(utf8(json));

    assertThat(route).isEqualTo(new LogicalTableRouteValue(1024, List.of(u64(id), 1L)));
    assertThat(utf8(route.encode())).isEqualTo(json);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "-9223372036854775808", "18446744073709551616",
      "99999999999999999999999", "1.0", "1e3", "\"1\"", "null", "true", "{}"})
  void anythingButAnIntegerFrom0To2To64Minus1IsRefused(String id) {
    String peer = "{\"id\":" + id + ",\"addr\":\"a\"}";
    assertThatThrownBy(() -> SerdeJson.read(utf8(peer), Peer.class, "Peer"))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageStartingWith("cannot decode Peer from '" + peer + "': ")
        .hasMessageContaining("u64");

    String logical = "{\"type\":\"logical\",\"physical_table_id\":1024,\"region_ids\":[" + id
        + "]}";
    assertThatThrownBy(() -> TableRouteValue.decode(utf8(logical)))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "18446744073709551616"})
  void outOfRangeNumbersAreNamedAsSerdeNamesThem(String id) {
    assertThatThrownBy(() -> SerdeJson.read(utf8("{\"id\":" + id + ",\"addr\":\"a\"}"),
        Peer.class, "Peer"))
        .hasMessageContaining("invalid value: integer `" + id + "`, expected u64");
  }

  @ParameterizedTest
  @ValueSource(strings = {"18446744073709551615", "9223372036854775808", "1", "0"})
  void bigIntegerIsTheUnsignedNumber(String digits) {
    assertThat(UnsignedLongJson.toBigInteger(u64(digits))).isEqualTo(new BigInteger(digits));
  }
}
