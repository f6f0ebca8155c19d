package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The primitive map answers as a HashMap would, through growth and removals in probe runs. */
class RegionCohortMapTest {

  @Test
  void answersAsAHashMapThroughPutsRemovalsAndGrowth() {
    Random random = new Random(42);
    RegionCohortMap<String> map = new RegionCohortMap<>();
    Map<Long, String> expected = new HashMap<>();
    for (int op = 0; op < 200_000; op++) {
      // Few distinct keys, clustered as region ids are (table << 32 | number), some negative.
      long key = (random.nextInt(4) - 1L) << 32 | random.nextInt(300);
      switch (random.nextInt(4)) {
        case 0, 1 -> assertThat(map.put(key, "v" + op)).isEqualTo(expected.put(key, "v" + op));
        case 2 -> assertThat(map.remove(key)).isEqualTo(expected.remove(key));
        default -> {
          assertThat(map.get(key)).isEqualTo(expected.get(key));
          assertThat(map.containsKey(key)).isEqualTo(expected.containsKey(key));
        }
      }
      assertThat(map.size()).isEqualTo(expected.size());
    }
    Map<Long, String> seen = new HashMap<>();
    map.forEach((key, value) -> assertThat(seen.put(key, value)).isNull());
    assertThat(seen).isEqualTo(expected);

    map.replaceAll(value -> value + "!");
    expected.replaceAll((key, value) -> value + "!");
    expected.forEach((key, value) -> assertThat(map.get(key)).isEqualTo(value));
  }
}
