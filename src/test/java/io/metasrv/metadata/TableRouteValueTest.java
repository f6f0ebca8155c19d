package io.metasrv.metadata;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Table routes as GreptimeDB writes them ({@code key/table_route.rs}, {@code rpc/router.rs} at
 * d701c18150): texts written from the reference and from upstream's own test cases.
 */
class TableRouteValueTest {
  /** One leader region, one downgrading region with a follower and a partition. */
  static final String PHYSICAL =
      "{\"type\":\"physical\",\"region_routes\":["
          + "{\"region\":{\"id\":4398046511105,\"name\":\"\",\"partition\":null,\"attrs\":{}},"
          + "\"leader_peer\":{\"id\":1,\"addr\":\"10.0.0.1:4001\"},\"follower_peers\":[],"
          + "\"leader_down_since\":null},"
          + "{\"region\":{\"id\":4398046511106,\"name\":\"r2\",\"partition\":"
          + "{\"column_list\":[\"b\"],\"value_list\":[\"{\\\"Value\\\":{\\\"String\\\":\\\"hz\\\"}}\"]},"
          + "\"attrs\":{\"a\":\"1\",\"b\":\"2\"}},"
          + "\"leader_peer\":{\"id\":2,\"addr\":\"10.0.0.2:4001\"},"
          + "\"follower_peers\":[{\"id\":3,\"addr\":\"10.0.0.3:4001\"}],"
          + "\"leader_state\":\"Downgrading\",\"leader_down_since\":1743400000000}],\"version\":7}";

  static final String LOGICAL =
      "{\"type\":\"logical\",\"physical_table_id\":1024,"
          + "\"region_ids\":[4402341478401,4402341478402]}";

  @Test
  void physicalRouteDecodesAndEncodesToTheSameBytes() {
    TableRouteValue value = TableRouteValue.decode(utf8(PHYSICAL));

    PhysicalTableRouteValue physical = (PhysicalTableRouteValue) value;
    assertThat(physical.version()).isEqualTo(7);
    assertThat(physical.regionRoutes()).hasSize(2);
    RegionRoute first = physical.regionRoutes().get(0);
    assertThat(first.regionId()).isEqualTo(RegionId.of(1024, 1));
    assertThat(first.leaderPeer()).isEqualTo(new Peer(1, "10.0.0.1:4001"));
    assertThat(first.leaderState()).isNull();
    assertThat(first.leaderDowngrading()).isFalse();
    RegionRoute second = physical.regionRoutes().get(1);
    assertThat(second.leaderDowngrading()).isTrue();
    assertThat(second.leaderDownSince()).isEqualTo(1743400000000L);
    assertThat(second.followedBy(3)).isTrue();
    assertThat(second.ledBy(2)).isTrue();
    assertThat(second.region().partition().valueList())
        .containsExactly("{\"Value\":{\"String\":\"hz\"}}");
    assertThat(second.region().attrs()).containsEntry("b", "2");

    assertThat(utf8(value.encode())).isEqualTo(PHYSICAL);
  }

  @Test
  void logicalRouteDecodesAndEncodesToTheSameBytes() {
    TableRouteValue value = TableRouteValue.decode(utf8(LOGICAL));

    assertThat(value)
        .isEqualTo(
            new LogicalTableRouteValue(1024, List.of(RegionId.of(1025, 1), RegionId.of(1025, 2))));
    assertThat(utf8(value.encode())).isEqualTo(LOGICAL);
  }

  @Test
  void builtRouteIsWrittenAsGreptimeDbWritesIt() {
    PhysicalTableRouteValue route =
        PhysicalTableRouteValue.of(
            List.of(RegionRoute.led(Region.of(RegionId.of(1024, 1)), new Peer(1, "a1"))));

    assertThat(utf8(route.encode()))
        .isEqualTo(
            "{\"type\":\"physical\",\"region_routes\":[{\"region\":{\"id\":4398046511105,"
                + "\"name\":\"\",\"partition\":null,\"attrs\":{}},\"leader_peer\":{\"id\":1,"
                + "\"addr\":\"a1\"},\"follower_peers\":[],\"leader_down_since\":null}],"
                + "\"version\":0}");
  }

  @Test
  void attributesAreWrittenInKeyOrderAsABTreeMap() {
    TreeMap<String, String> attrs = new TreeMap<>(Map.of("z", "1", "a", "2"));
    Region region = new Region(1, "r", null, attrs);

    assertThat(SerdeJson.writeString(region))
        .isEqualTo(
            "{\"id\":1,\"name\":\"r\",\"partition\":null,\"attrs\":{\"a\":\"2\",\"z\":\"1\"}}");
  }

  /** upstream {@code test_table_route_compatibility}: a value from before the "type" tag. */
  @Test
  void legacyUntaggedValueIsAPhysicalRoute() {
    String old =
        "{\"region_routes\":[{\"region\":{\"id\":1,\"name\":\"r1\",\"partition\":null,"
            + "\"attrs\":{}},\"leader_peer\":{\"id\":2,\"addr\":\"a2\"},\"follower_peers\":[]},"
            + "{\"region\":{\"id\":1,\"name\":\"r1\",\"partition\":null,\"attrs\":{}},"
            + "\"leader_peer\":{\"id\":2,\"addr\":\"a2\"},\"follower_peers\":[]}],\"version\":0}";

    TableRouteValue value = TableRouteValue.decode(utf8(old));

    PhysicalTableRouteValue physical = (PhysicalTableRouteValue) value;
    assertThat(physical.regionRoutes()).hasSize(2);
    assertThat(physical.regionRoutes().get(0).leaderDownSince()).isNull();
    assertThat(utf8(value.encode()))
        .isEqualTo(
            "{\"type\":\"physical\",\"region_routes\":[{\"region\":{\"id\":1,\"name\":\"r1\","
                + "\"partition\":null,\"attrs\":{}},\"leader_peer\":{\"id\":2,\"addr\":\"a2\"},"
                + "\"follower_peers\":[],\"leader_down_since\":null},{\"region\":{\"id\":1,"
                + "\"name\":\"r1\",\"partition\":null,\"attrs\":{}},\"leader_peer\":{\"id\":2,"
                + "\"addr\":\"a2\"},\"follower_peers\":[],\"leader_down_since\":null}],"
                + "\"version\":0}");
  }

  /** upstream {@code test_region_route_compatibility}: both field names, both value names. */
  @Test
  void legacyLeaderStatusFieldAndDowngradedValueAreRead() {
    for (String field : List.of("leader_state", "leader_status")) {
      for (String state : List.of("Downgraded", "Downgrading")) {
        String input =
            "{\"region\":{\"id\":2,\"name\":\"r2\",\"partition\":null,\"attrs\":{}},"
                + "\"leader_peer\":{\"id\":1,\"addr\":\"a1\"},\"follower_peers\":[{\"id\":2,"
                + "\"addr\":\"a2\"},{\"id\":3,\"addr\":\"a3\"}],\""
                + field
                + "\":\""
                + state
                + "\",\"leader_down_since\":null}";

        RegionRoute route = SerdeJson.read(utf8(input), RegionRoute.class, "RegionRoute");

        assertThat(route.leaderState()).as(field + "=" + state).isEqualTo(LeaderState.DOWNGRADING);
        assertThat(SerdeJson.writeString(route))
            .isEqualTo(
                "{\"region\":{\"id\":2,\"name\":\"r2\",\"partition\":null,\"attrs\":{}},"
                    + "\"leader_peer\":{\"id\":1,\"addr\":\"a1\"},\"follower_peers\":[{\"id\":2,"
                    + "\"addr\":\"a2\"},{\"id\":3,\"addr\":\"a3\"}],"
                    + "\"leader_state\":\"Downgrading\",\"leader_down_since\":null}");
      }
    }
  }

  @Test
  void missingLeaderPeerIsNone() {
    String input = "{\"region\":{\"id\":2,\"name\":\"\",\"attrs\":{}},\"follower_peers\":[]}";

    RegionRoute route = SerdeJson.read(utf8(input), RegionRoute.class, "RegionRoute");

    assertThat(route.leaderPeer()).isNull();
    assertThat(route.region().partition()).isNull();
    assertThat(route.ledBy(0)).isFalse();
  }

  @Test
  void requiredFieldsAndUnknownStatesAreRefused() {
    assertThatThrownBy(() -> TableRouteValue.decode(utf8("{\"type\":\"physical\",\"version\":0}")))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageContaining("region_routes");
    assertThatThrownBy(
            () -> TableRouteValue.decode(utf8("{\"type\":\"logical\",\"physical_table_id\":1024}")))
        .isInstanceOf(InvalidMetadataException.class);
    assertThatThrownBy(
            () ->
                TableRouteValue.decode(
                    utf8(
                        "{\"region_routes\":[{\"region\":{\"id\":1,\"name\":\"\",\"attrs\":{}},"
                            + "\"follower_peers\":[],\"leader_state\":\"Up\"}],\"version\":0}")))
        .isInstanceOf(InvalidMetadataException.class);
    assertThatThrownBy(() -> TableRouteValue.decode(utf8("{\"region_routes\":[],")))
        .isInstanceOf(InvalidMetadataException.class);
    assertThatThrownBy(
            () -> TableRouteValue.decode(utf8("{\"region_routes\":[],\"version\":\"1\"}")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  @Test
  void updateBumpsTheVersionAndDowngradeSetsTheStateAndTime() {
    PhysicalTableRouteValue route =
        (PhysicalTableRouteValue) TableRouteValue.decode(utf8(PHYSICAL));
    RegionRoute first = route.regionRoutes().get(0);

    PhysicalTableRouteValue updated =
        route.update(
            List.of(first.downgradingSince(42), route.regionRoutes().get(1).withoutLeaderState()));

    assertThat(updated.version()).isEqualTo(8);
    assertThat(updated.regionRoute(RegionId.of(1024, 1)).orElseThrow().leaderDownSince())
        .isEqualTo(42);
    assertThat(updated.regionRoute(RegionId.of(1024, 2)).orElseThrow().leaderState()).isNull();
    assertThat(updated.regionRoute(RegionId.of(1024, 3))).isEmpty();
  }

  @Test
  void addressesAreReplacedFromNodeAddressesForReaders() {
    PhysicalTableRouteValue route =
        (PhysicalTableRouteValue) TableRouteValue.decode(utf8(PHYSICAL));

    PhysicalTableRouteValue remapped = route.withAddresses(Map.of(3L, "new:3", 1L, "new:1"));

    assertThat(remapped.regionRoutes().get(0).leaderPeer()).isEqualTo(new Peer(1, "new:1"));
    assertThat(remapped.regionRoutes().get(1).leaderPeer()).isEqualTo(new Peer(2, "10.0.0.2:4001"));
    assertThat(remapped.regionRoutes().get(1).followerPeers())
        .containsExactly(new Peer(3, "new:3"));
    assertThat(remapped.version()).isEqualTo(route.version());
  }
}
