package io.metasrv.heartbeat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Regions that a procedure is creating, moving or dropping on a datanode (GreptimeDB's {@code
 * MemoryRegionKeeper}): while one is registered, the region lease echoes the role the datanode
 * reports for it and never closes it, whatever the table route says. Thread-safe.
 *
 * <p>A registered region whose role a procedure is about to change on the datanode ({@link
 * Guard#changingRole}: a migration upgrading its candidate) gets no lease answer at all, neither
 * renewed nor closed, until the guard closes. Echoing the role reported before the upgrade in an
 * answer that reaches the datanode after it would turn the new leader back into a follower until
 * its next heartbeat (3 s): with 100 regions failed over at once, most of them lost it so.
 * Leaving the lease alone cannot make a region writable; its last lease runs on.
 */
public final class MemoryRegionKeeper {
  private final Set<DatanodeRegion> operating = ConcurrentHashMap.newKeySet();
  /** Registered regions whose role is being changed; a subset of {@link #operating}. */
  private final Set<DatanodeRegion> changingRole = ConcurrentHashMap.newKeySet();

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
   * Whether a procedure is changing the role of this registered region on the datanode: its
   * lease is left alone.
   */
  public boolean isChangingRole(long datanodeId, long regionId) {
    return !changingRole.isEmpty()
        && changingRole.contains(new DatanodeRegion(datanodeId, regionId));
  }

  /**
   * Forgets every registered region: this node stopped leading, so the procedures that held them
   * stopped too (a new leader's procedures register them again).
   */
  public void clear() {
    changingRole.clear();
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

    /**
     * The procedure is about to change the region's role on the datanode: from now until this
     * guard closes, the region's lease is neither renewed nor denied.
     */
    public void changingRole() {
      if (operating.contains(region)) {
        changingRole.add(region);
      }
    }

    @Override
    public void close() {
      changingRole.remove(region);
      operating.remove(region);
    }
  }
}
