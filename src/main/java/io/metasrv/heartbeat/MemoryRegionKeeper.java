package io.metasrv.heartbeat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Regions that a procedure is creating, moving or dropping on a datanode (GreptimeDB's {@code
 * MemoryRegionKeeper}): while one is registered, the region lease echoes the role the datanode
 * reports for it and never closes it, whatever the table route says. Thread-safe.
 */
public final class MemoryRegionKeeper {
  private final Set<DatanodeRegion> operating = ConcurrentHashMap.newKeySet();

  /**
   * Registers a region being operated on.
   *
   * @return a guard that unregisters it when closed, or null if it was already registered
   */
  public Guard register(long datanodeId, long regionId) {
    DatanodeRegion region = new DatanodeRegion(datanodeId, regionId);
    return operating.add(region) ? new Guard(region) : null;
  }

  public boolean contains(long datanodeId, long regionId) {
    return operating.contains(new DatanodeRegion(datanodeId, regionId));
  }

  /**
   * Whether no region is registered: every heartbeat asks before looking its regions up, and
   * most of the time no procedure is operating on any.
   */
  public boolean isEmpty() {
    return operating.isEmpty();
  }

  /**
   * Forgets every registered region: this node stopped leading, so the procedures that held them
   * stopped too (a new leader's procedures register them again).
   */
  public void clear() {
    operating.clear();
  }

  public int size() {
    return operating.size();
  }

  private record DatanodeRegion(long datanodeId, long regionId) {}

  /** Keeps a region registered until closed. */
  public final class Guard implements AutoCloseable {
    private final DatanodeRegion region;

    private Guard(DatanodeRegion region) {
      this.region = region;
    }

    @Override
    public void close() {
      operating.remove(region);
    }
  }
}
