package io.metasrv.cluster;

import io.metasrv.cluster.ClusterKeys.NodeInfoKey;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.Peer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The leader's in-memory view of the cluster, GreptimeDB's {@code in_memory}: node leases, node
 * info, datanode stats and flow state under GreptimeDB's keys, filled by heartbeats and read by
 * the Cluster service, the admin routes and the selectors.
 *
 * <p>Every leadership change makes the view stale, and the first use after that starts it
 * empty (GreptimeDB resets it when a leader starts: a new leader learns the cluster from
 * heartbeats again, within one heartbeat interval). Unlike GreptimeDB, which resets it in the
 * first heartbeat after the datanode's lease was already written, the lease written by that
 * heartbeat is kept.
 */
public final class ClusterView {
  private final AtomicReference<MemoryKv> kv = new AtomicReference<>(newStore());
  private final AtomicBoolean stale = new AtomicBoolean();

  /** This node became leader or stopped leading: what the view holds is someone else's. */
  public void leadershipChanged() {
    stale.set(true);
  }

  /**
   * Starts the view empty if a leadership change made it stale.
   *
   * @return whether it did, so the first heartbeat after an election can say so
   */
  public boolean resetIfStale() {
    if (stale.compareAndSet(true, false)) {
      kv.set(newStore());
      return true;
    }
    return false;
  }

  /** The view's keys and values, fresh for the current leadership. */
  public KvBackend kv() {
    resetIfStale();
    return kv.get();
  }

  /**
   * Sets a datanode's stats, {@code __meta_datanode_stat-0-{id}}: kept packed and written out as
   * their JSON array when read.
   */
  public void putDatanodeStats(long datanodeId, PackedStats stats) {
    resetIfStale();
    kv.get().putValueOnRead(ClusterKeys.datanodeStat(datanodeId), stats);
  }

  /**
   * The datanodes whose lease was renewed less than 10 s before now.
   *
   * @param clockMillis the leader's clock, read after the leases: a lease renewed meanwhile would
   *     otherwise look as if from the future, which GreptimeDB's test counts as not alive
   */
  public List<NodeLease> aliveDatanodes(LongSupplier clockMillis) {
    List<NodeLease> leases = datanodeLeases();
    long now = clockMillis.getAsLong();
    return leases.stream()
        .filter(node -> node.lease().aliveAt(now, LeaseValue.LEASE_MILLIS))
        .toList();
  }

  /** A datanode's last lease in this leader's view. */
  public Optional<LeaseValue> datanodeLease(long datanodeId) {
    return kv().get(ClusterKeys.datanodeLease(datanodeId))
        .map(entry -> LeaseValue.decode(entry.value()));
  }

  /** The leader's wall-clock time of a datanode's last heartbeat, if it heard from it. */
  public OptionalLong lastHeartbeatMillis(long datanodeId) {
    return datanodeLease(datanodeId).map(lease -> OptionalLong.of(lease.timestampMillis()))
        .orElse(OptionalLong.empty());
  }

  /**
   * A datanode as a peer, with the address of its lease (GreptimeDB's {@code
   * lookup_datanode_peer}).
   *
   * @param clockMillis the leader's clock, read after the lease: a lease renewed meanwhile would
   *     otherwise look as if from the future, which GreptimeDB's test counts as not alive
   * @param aliveOnly whether a lease older than 10 s counts as unknown
   */
  public Optional<Peer> datanodePeer(long datanodeId, LongSupplier clockMillis,
      boolean aliveOnly) {
    Optional<LeaseValue> lease = datanodeLease(datanodeId);
    long now = clockMillis.getAsLong();
    return lease
        .filter(value -> !aliveOnly || value.aliveAt(now, LeaseValue.LEASE_MILLIS))
        .map(value -> new Peer(datanodeId, value.nodeAddr()));
  }

  /** Every datanode lease, alive or not, as {@code /admin/node-lease} lists them. */
  public List<NodeLease> datanodeLeases() {
    List<NodeLease> leases = new ArrayList<>();
    for (KeyValue entry : kv().range(RangeRequest.prefix(ClusterKeys.datanodeLeasePrefix()))
        .kvs()) {
      leases.add(new NodeLease(ClusterKeys.parseDatanodeLease(entry.key()),
          LeaseValue.decode(entry.value())));
    }
    return leases;
  }

  /**
   * Removes the node info of nodes idle longer than {@code maxIdleMillis} (GreptimeDB's {@code
   * NodeExpiryListener}, run by the leader every minute); leases and stats stay.
   *
   * @return the nodes removed, so that the caller can forget what else it keeps about them
   */
  public List<NodeInfoKey> removeIdleNodes(long nowMillis, long maxIdleMillis) {
    List<byte[]> idleKeys = new ArrayList<>();
    List<NodeInfoKey> idle = new ArrayList<>();
    for (KeyValue entry : kv().range(RangeRequest.prefix(ClusterKeys.nodeInfoPrefix())).kvs()) {
      if (nowMillis - NodeInfo.decode(entry.value()).lastActivityTs() > maxIdleMillis) {
        idleKeys.add(entry.key());
        idle.add(ClusterKeys.parseNodeInfo(entry.key()));
      }
    }
    if (!idleKeys.isEmpty()) {
      kv().batchDelete(idleKeys, false);
    }
    return idle;
  }

  /**
   * No limit on value size, as GreptimeDB's in-memory backend: a datanode's stat array grows
   * with its regions (about 200 bytes each, {@code flush_stats_factor} stats), and a refused put
   * would end the datanode's heartbeat stream before its region leases are sent. Puts run
   * concurrently: every heartbeat puts its node's lease, info and stats, and one exclusive lock
   * queued hundreds of heartbeat threads behind it; nothing reads several keys expecting them
   * written together.
   */
  private static MemoryKv newStore() {
    return MemoryKv.withConcurrentPuts(new KvLimits(KvLimits.DEFAULT.maxTxnOps(), 0));
  }

  /** A node's id and its last lease. */
  public record NodeLease(long nodeId, LeaseValue lease) {}
}
