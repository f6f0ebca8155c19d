package io.metasrv.procedure.migration;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The regions being migrated on this leader (GreptimeDB's {@code RegionMigrationProcedureTracker}):
 * at most one migration per region. An entry is taken when a migration is submitted or recovered
 * and given back when it finishes, whatever the outcome, or when this node stops leading.
 */
public final class MigrationTracker {
  private final Map<Long, Object> running = new ConcurrentHashMap<>();

  /**
   * Takes the region for {@code owner}.
   *
   * @return false when another migration holds it
   */
  public boolean track(long regionId, Object owner) {
    return running.putIfAbsent(regionId, owner) == null || running.get(regionId) == owner;
  }

  /** Gives the region back if {@code owner} holds it. */
  public void release(long regionId, Object owner) {
    running.remove(regionId, owner);
  }

  public boolean contains(long regionId) {
    return running.containsKey(regionId);
  }

  /** Forgets every migration: this node stopped leading. */
  public void clear() {
    running.clear();
  }

  public int size() {
    return running.size();
  }
}
