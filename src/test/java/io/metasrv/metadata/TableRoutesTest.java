package io.metasrv.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.MemoryKv;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Route updates compare on the bytes read and move {@code __dn_table} in the same write. */
class TableRoutesTest {
  private static final long TABLE = 1024;
  private static final Peer DN1 = new Peer(1, "a:1");
  private static final Peer DN2 = new Peer(2, "b:1");
  private static final RegionInfo INFO =
      new RegionInfo("mito2", "greptime/public", Map.of(), Map.of());

  private final MemoryKv kv = new MemoryKv();
  private final TableRoutes routes = new TableRoutes(kv);

  private RegionRoute route(long number, Peer leader) {
    return RegionRoute.led(Region.of(RegionId.of(TABLE, number)), leader);
  }

  private void store(PhysicalTableRouteValue value) {
    kv.put(new TableRouteKey(TABLE).toBytes(), value.encode());
  }

  @Test
  void anUpdateOfAStaleReadDoesNotLandUnlessTheStoredValueIsWhatItMeantToWrite() {
    store(PhysicalTableRouteValue.of(List.of(route(1, DN1))));
    ValueWithBytes<PhysicalTableRouteValue> read = routes.physical(TABLE).orElseThrow();
    List<RegionRoute> downgrading = List.of(route(1, DN1).downgradingSince(5));

    store(PhysicalTableRouteValue.of(List.of(route(1, DN2))));
    assertThat(routes.updateLeaderState(TABLE, read, downgrading)).isFalse();
    assertThat(routes.physical(TABLE).orElseThrow().value().regionRoutes())
        .containsExactly(route(1, DN2));

    store(read.value());
    assertThat(routes.updateLeaderState(TABLE, read, downgrading)).isTrue();
    ValueWithBytes<PhysicalTableRouteValue> updated = routes.physical(TABLE).orElseThrow();
    assertThat(updated.value().version()).isEqualTo(1);
    // The same update again: the compare fails, but the stored value is the one intended.
    assertThat(routes.updateLeaderState(TABLE, read, downgrading)).isTrue();
  }

  @Test
  void movingALeaderRewritesDatanodeTablesInTheSameTransaction() {
    store(PhysicalTableRouteValue.of(List.of(route(1, DN1), route(2, DN1))));
    kv.put(new DatanodeTableKey(1, TABLE).toBytes(),
        DatanodeTableValue.of(TABLE, List.of(1L, 2L), INFO).encode());
    ValueWithBytes<PhysicalTableRouteValue> read = routes.physical(TABLE).orElseThrow();

    assertThat(routes.updateRoutes(TABLE, read, List.of(route(1, DN2), route(2, DN1)), INFO))
        .isTrue();
    assertThat(routes.datanodeTable(1, TABLE).orElseThrow().regions()).containsExactly(2L);
    assertThat(routes.datanodeTable(2, TABLE).orElseThrow().regions()).containsExactly(1L);

    read = routes.physical(TABLE).orElseThrow();
    assertThat(routes.updateRoutes(TABLE, read, List.of(route(1, DN2), route(2, DN2)), INFO))
        .isTrue();
    assertThat(routes.datanodeTable(1, TABLE)).as("datanode 1 leads nothing").isEmpty();
    assertThat(routes.datanodeTable(2, TABLE).orElseThrow().regions()).containsExactly(1L, 2L);

    // A stale read changes nothing, __dn_table included.
    assertThat(routes.updateRoutes(TABLE, read, List.of(route(1, DN1), route(2, DN1)), INFO))
        .isFalse();
    assertThat(routes.datanodeTable(1, TABLE)).isEmpty();
    assertThat(routes.datanodeTable(2, TABLE).orElseThrow().regions()).containsExactly(1L, 2L);
  }

  @Test
  void everyPhysicalRouteIsReadPageByPageLeavingOutLogicalAndUndecodableOnes() {
    int tables = 300;
    for (long table = 1; table <= tables; table++) {
      kv.put(new TableRouteKey(table).toBytes(), PhysicalTableRouteValue.of(List.of(
          RegionRoute.led(Region.of(RegionId.of(table, 1)), DN1))).encode());
    }
    kv.put(new TableRouteKey(5000).toBytes(), "{\"type\":\"logical\",\"physical_table_id\":1,"
        .concat("\"region_ids\":[21474836481]}").getBytes(StandardCharsets.UTF_8));
    kv.put(new TableRouteKey(5001).toBytes(), "not a route".getBytes(StandardCharsets.UTF_8));
    List<String> skipped = new ArrayList<>();

    List<PhysicalTableRouteValue> all = routes.allPhysical((key, e) -> skipped.add(key));

    assertThat(all).hasSize(tables);
    assertThat(all).extracting(route -> route.regionRoutes().get(0).regionId())
        .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, tables)
            .mapToObj(table -> RegionId.of(table, 1)).toList());
    assertThat(skipped).containsExactly("__table_route/5001");
  }
}
