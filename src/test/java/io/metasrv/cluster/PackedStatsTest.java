package io.metasrv.cluster;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.protocol.RegionRole;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stats packed between heartbeats give back every field, and the JSON Stat.encodeAll writes. */
class PackedStatsTest {
  private static final Stat EDGES = new Stat(1743400000000L, -1L,
      "10.0.0.1:4001\u0001\"\\\u007f\u00e9\uD83D\uDE00", -3, 4, 7,
      List.of(
          new RegionStat(-2L, 1, -2, 3, "mito\n\t", RegionRole.DowngradingLeader, 4, 5, 6, 7, 8,
              Long.MIN_VALUE),
          new RegionStat(4398046511105L, 0, 0, 0, "", RegionRole.Follower, 0, 0, 0, 0, 0,
              Long.MAX_VALUE),
          new RegionStat(Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, -1, "metric",
              RegionRole.Leader, -1, Long.MAX_VALUE, 1, 2, 3, 4),
          new RegionStat(Long.MAX_VALUE, 0, 0, 0, "mito", RegionRole.Leader, 0, 0, 0, 0, 0, 0),
          new RegionStat(4398046511105L, 9, 9, 9, "mito", RegionRole.Follower, 9, 9, 9, 9, 9,
              9)),
      Long.MAX_VALUE);
  private static final Stat EMPTY = new Stat(0, 0, "", 0, 0, 0, List.of(), -1);

  @Test
  void everyFieldComesBackAtTheEdgesOfItsRange() {
    assertThat(PackedStats.unpack(PackedStats.pack(EDGES))).isEqualTo(EDGES);
    assertThat(PackedStats.unpack(PackedStats.pack(EMPTY))).isEqualTo(EMPTY);
  }

  @Test
  void theValueIsTheJsonArrayOfTheStatsOldestFirst() {
    Stat later = new Stat(1743400003000L, 7, "10.0.0.7:4001", 1, 2, 1,
        List.of(new RegionStat(4398046511105L, 1, 2, 3, "mito", RegionRole.Leader, 4, 5, 6, 7,
            8, 9)),
        1743300000000L);
    PackedStats value = new PackedStats(List.of(PackedStats.pack(EDGES),
        PackedStats.pack(EMPTY), PackedStats.pack(later)));

    assertThat(value.stats()).containsExactly(EDGES, EMPTY, later);
    assertThat(utf8(value.bytes()))
        .isEqualTo(utf8(Stat.encodeAll(List.of(EDGES, EMPTY, later))));
    assertThat(utf8(new PackedStats(List.of()).bytes())).isEqualTo("[]");
  }

  @Test
  void aHundredRegionsOfOneTablePackToAFractionOfTheirJson() {
    List<RegionStat> regions = new java.util.ArrayList<>();
    for (long number = 1; number <= 100; number++) {
      regions.add(new RegionStat((1024L << 32) | number, 0, 0, 0, "mito", RegionRole.Leader, 0,
          0, 0, 0, 0, 0));
    }
    Stat stat = new Stat(1743400000000L, 7, "10.0.0.7:4001", 0, 0, 100, regions, 1);

    assertThat(PackedStats.pack(stat).length * 10)
        .isLessThan(Stat.encodeAll(List.of(stat)).length);
  }
}
