package io.metasrv.selector;

import io.metasrv.config.SelectorKind;
import java.util.List;
import java.util.Random;

/** Chooses nodes among alive candidates. Implementations are thread-safe. */
public interface Selector {

  /**
   * Chooses {@link SelectorOptions#minRequiredItems} nodes among {@code candidates}, leaving out
   * the excluded ones.
   *
   * @param candidates the alive nodes of the target kind, in any order
   * @throws NoEnoughAvailableNodeException when no candidate is left, or fewer than required
   *     and duplication is not allowed
   */
  List<SelectorCandidate> select(List<SelectorCandidate> candidates, SelectorOptions options);

  /**
   * Whether this selector weighs candidates by their region counts: only then are the stored
   * stats read (and decoded) for each selection.
   */
  default boolean weighsRegionCounts() {
    return false;
  }

  /** The datanode selector that the {@code selector} option names. */
  static Selector forDatanodes(SelectorKind kind, Random random) {
    return switch (kind) {
      case ROUND_ROBIN -> new RoundRobinSelector(SelectTarget.DATANODE);
      case LEASE_BASED -> new LeaseBasedSelector(random);
      case LOAD_BASED -> new LoadBasedSelector(random);
    };
  }
}
