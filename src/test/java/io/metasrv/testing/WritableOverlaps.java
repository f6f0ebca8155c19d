package io.metasrv.testing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The safety check across simulated datanodes: a region writable on two nodes at once. */
public final class WritableOverlaps {
  private WritableOverlaps() {}

  /**
   * Every moment, on the datanodes' shared clock, at which two of {@code datanodes} both took
   * the same region as writable; empty when there was none.
   */
  public static List<String> find(Collection<SimulatedDatanode> datanodes) {
    List<SimulatedDatanode> nodes = List.copyOf(datanodes);
    List<String> overlaps = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (int j = i + 1; j < nodes.size(); j++) {
        SimulatedDatanode first = nodes.get(i);
        SimulatedDatanode second = nodes.get(j);
        for (long regionId : first.regionsEverOpened()) {
          for (WritableInterval a : first.writableIntervals(regionId)) {
            for (WritableInterval b : second.writableIntervals(regionId)) {
              if (a.overlaps(b)) {
                overlaps.add("region " + regionId + " writable on " + first + " " + a
                    + " and on " + second + " " + b);
              }
            }
          }
        }
      }
    }
    return overlaps;
  }
}
