package io.metasrv.selector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import io.metasrv.config.SelectorKind;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The three selectors over fixed candidate lists; random ones with a seeded generator. */
class SelectorTest {
  private static final SelectorCandidate N2 = SelectorCandidate.withRegionCount(2, "dn2:3001", 10);
  private static final SelectorCandidate N5 = SelectorCandidate.withRegionCount(5, "dn5:3001", 20);
  private static final SelectorCandidate N8 = SelectorCandidate.withRegionCount(8, "dn8:3001", 40);
  /** In no particular order, as the cluster view may list them. */
  private static final List<SelectorCandidate> ALIVE = List.of(N8, N2, N5);

  private final Random random = new Random(42);

  private static List<Long> ids(List<SelectorCandidate> selected) {
    return selected.stream().map(SelectorCandidate::nodeId).toList();
  }

  /** How often each node id is chosen in {@code picks} single selections, as a fraction. */
  private static Map<Long, Double> shares(Selector selector, List<SelectorCandidate> candidates,
      int picks) {
    Map<Long, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(selector.select(candidates, SelectorOptions.distinct(1)).get(0).nodeId(), 1,
          Integer::sum);
    }
    return counts.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue() / (double) picks));
  }

  // ---- round_robin

  @Test
  void roundRobinGoesThroughTheNodesInIdOrderAndCarriesOnAcrossSelections() {
    Selector selector = new RoundRobinSelector(SelectTarget.DATANODE);

    assertThat(ids(selector.select(ALIVE, SelectorOptions.withDuplicates(4))))
        .containsExactly(2L, 5L, 8L, 2L);
    assertThat(ids(selector.select(ALIVE, SelectorOptions.withDuplicates(2))))
        .containsExactly(5L, 8L);
    assertThat(ids(selector.select(ALIVE, SelectorOptions.distinct(1)))).containsExactly(2L);
  }

  @Test
  void roundRobinLeavesOutExcludedNodes() {
    Selector selector = new RoundRobinSelector(SelectTarget.DATANODE);

    assertThat(ids(selector.select(ALIVE, SelectorOptions.withDuplicates(3).excluding(2))))
        .containsExactly(5L, 8L, 5L);
  }

  @Test
  void roundRobinWithoutCandidatesOrWithTooFewDistinctOnesFails() {
    Selector selector = new RoundRobinSelector(SelectTarget.DATANODE);

    assertThatThrownBy(() -> selector.select(List.of(), SelectorOptions.withDuplicates(3)))
        .isInstanceOf(NoEnoughAvailableNodeException.class)
        .hasMessage("Failed to request datanode, required: 3, but only 0 available");
    assertThatThrownBy(() -> selector.select(ALIVE, SelectorOptions.distinct(4)))
        .isInstanceOf(NoEnoughAvailableNodeException.class)
        .hasMessage("Failed to request datanode, required: 4, but only 3 available");
    assertThatThrownBy(() -> selector.select(List.of(N2), SelectorOptions.distinct(1).excluding(2)))
        .hasMessage("Failed to request datanode, required: 1, but only 0 available");
  }

  @Test
  void theFlownodeRoundRobinNamesFlownodesInItsError() {
    Selector selector = new RoundRobinSelector(SelectTarget.FLOWNODE);

    NoEnoughAvailableNodeException error = (NoEnoughAvailableNodeException) catchThrowable(
        () -> selector.select(List.of(), SelectorOptions.distinct(2)));

    assertThat(error).hasMessage("Failed to request flownode, required: 2, but only 0 available");
    assertThat(error.target()).isEqualTo(SelectTarget.FLOWNODE);
    assertThat(error.required()).isEqualTo(2);
    assertThat(error.available()).isZero();
  }

  // ---- lease_based

  @Test
  void leaseBasedChoosesDistinctNodesUniformly() {
    Selector selector = new LeaseBasedSelector(random);

    List<SelectorCandidate> three = selector.select(ALIVE, SelectorOptions.distinct(3));
    assertThat(three).containsExactlyInAnyOrderElementsOf(ALIVE);

    Map<Long, Double> shares = shares(selector, ALIVE, 30_000);
    assertThat(shares).containsOnlyKeys(2L, 5L, 8L);
    shares.values().forEach(share -> assertThat(share).isCloseTo(1 / 3.0, within(0.02)));
  }

  @Test
  void leaseBasedRepeatsNodesOnlyWhenAllowedAndThenInFullRounds() {
    Selector selector = new LeaseBasedSelector(random);

    assertThatThrownBy(() -> selector.select(ALIVE, SelectorOptions.distinct(4)))
        .hasMessage("Failed to request datanode, required: 4, but only 3 available");

    // 8 of 3: two rounds with every node, then 2 distinct nodes
    List<SelectorCandidate> eight = selector.select(ALIVE, SelectorOptions.withDuplicates(8));
    assertThat(eight).hasSize(8);
    assertThat(eight.subList(0, 3)).containsExactlyInAnyOrderElementsOf(ALIVE);
    assertThat(eight.subList(3, 6)).containsExactlyInAnyOrderElementsOf(ALIVE);
    assertThat(eight.subList(6, 8)).doesNotHaveDuplicates();
  }

  @Test
  void leaseBasedNeverChoosesAnExcludedNode() {
    Selector selector = new LeaseBasedSelector(random);

    assertThat(shares(selector, ALIVE, 3_000).keySet()).as("chosen when not excluded")
        .contains(5L);
    Set<Long> chosen = new HashSet<>();
    for (int i = 0; i < 3_000; i++) {
      chosen.addAll(ids(selector.select(ALIVE, SelectorOptions.withDuplicates(3).excluding(5))));
    }
    assertThat(chosen).containsExactlyInAnyOrder(2L, 8L);
  }

  // ---- load_based

  @Test
  void loadBasedFavoursNodesWithFewerRegions() {
    // regions 10, 20, 40: max 40, base 40 - 10 = 30, weights 60, 50, 30 of 140
    Selector selector = new LoadBasedSelector(random);

    Map<Long, Double> shares = shares(selector, ALIVE, 28_000);

    assertThat(shares.get(2L)).isCloseTo(60 / 140.0, within(0.02));
    assertThat(shares.get(5L)).isCloseTo(50 / 140.0, within(0.02));
    assertThat(shares.get(8L)).isCloseTo(30 / 140.0, within(0.02));
  }

  @Test
  void loadBasedWeighsEquallyLoadedNodesEqually() {
    List<SelectorCandidate> equal = List.of(SelectorCandidate.withRegionCount(1, "a", 7),
        SelectorCandidate.withRegionCount(2, "b", 7));

    Map<Long, Double> shares = shares(new LoadBasedSelector(random), equal, 20_000);

    assertThat(shares.get(1L)).isCloseTo(0.5, within(0.02));
  }

  @Test
  void loadBasedSkipsNodesWithoutStats() {
    Selector selector = new LoadBasedSelector(random);
    List<SelectorCandidate> mixed = List.of(N2, SelectorCandidate.of(3, "dn3:3001"));

    assertThat(shares(selector, mixed, 1_000)).containsOnlyKeys(2L);
    assertThatThrownBy(() -> selector.select(mixed, SelectorOptions.distinct(2)))
        .hasMessage("Failed to request datanode, required: 2, but only 1 available");
    assertThatThrownBy(() -> selector.select(List.of(SelectorCandidate.of(3, "dn3:3001")),
        SelectorOptions.withDuplicates(2)))
        .hasMessage("Failed to request datanode, required: 2, but only 0 available");
  }

  @Test
  void loadBasedReturnsAsManyAsRequired() {
    Selector selector = new LoadBasedSelector(random);

    assertThat(selector.select(ALIVE, SelectorOptions.distinct(3)))
        .containsExactlyInAnyOrderElementsOf(ALIVE);
    assertThat(selector.select(ALIVE, SelectorOptions.withDuplicates(10))).hasSize(10);
  }

  // ---- choosing and options

  @Test
  void theSelectorOptionPicksTheImplementation() {
    Function<SelectorKind, Class<?>> kind = k -> Selector.forDatanodes(k, random).getClass();

    assertThat(kind.apply(SelectorKind.ROUND_ROBIN)).isEqualTo(RoundRobinSelector.class);
    assertThat(kind.apply(SelectorKind.LEASE_BASED)).isEqualTo(LeaseBasedSelector.class);
    assertThat(kind.apply(SelectorKind.LOAD_BASED)).isEqualTo(LoadBasedSelector.class);
  }

  @Test
  void atLeastOneNodeMustBeRequested() {
    assertThatThrownBy(() -> SelectorOptions.distinct(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("min_required_items");
    assertThat(SelectorOptions.distinct(1).excluding(3).excluding(4).excludedNodeIds())
        .containsExactlyInAnyOrder(3L, 4L);
  }
}
