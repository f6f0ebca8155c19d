package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.PackedStats;
import io.metasrv.cluster.Stat;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.KvBackend;
import io.metasrv.metadata.NodeAddressKey;
import io.metasrv.metadata.NodeAddressValue;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records datanode stats as GreptimeDB's {@code CollectStatsHandler} does: the first stat of a
 * datanode, or the first after it restarted (a greater {@code node_epoch}), rewrites its
 * durable address ({@code __node_address/0/{id}}), broadcasts a cache invalidation of its
 * tables (combined with other datanodes', at most one broadcast every 250 ms: {@link
 * CombinedInvalidations}),
 * and is stored at once; after that stats are buffered and stored {@code
 * flush_stats_factor} at a time, as the JSON array under {@code __meta_datanode_stat-0-{id}}
 * (readers take its last element). A stat from an older epoch is ignored.
 */
final class CollectStatsHandler implements HeartbeatHandler {
  private static final Logger log = LoggerFactory.getLogger(CollectStatsHandler.class);

  private final ClusterView view;
  private final KvBackend leaderKv;
  private final CombinedInvalidations invalidations;
  private final int flushStatsFactor;
  private final Map<Long, Buffered> byDatanode = new ConcurrentHashMap<>();

  CollectStatsHandler(ClusterView view, KvBackend leaderKv, CacheInvalidator invalidator,
      int flushStatsFactor) {
    this.view = view;
    this.leaderKv = leaderKv;
    this.invalidations = new CombinedInvalidations(invalidator);
    this.flushStatsFactor = flushStatsFactor;
  }

  @Override
  public String name() {
    return "CollectStatsHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.DATANODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (context.stat().isEmpty()) {
      return Flow.CONTINUE;
    }
    Stat stat = context.stat().get();
    Buffered buffered = byDatanode.computeIfAbsent(stat.id(), id -> new Buffered());
    List<byte[]> toStore;
    boolean refresh;
    synchronized (buffered) {
      if (buffered.epoch != null && stat.nodeEpoch() < buffered.epoch) {
        log.warn("Ignore stale heartbeat: datanode {} epoch {} < {}",
            Long.toUnsignedString(stat.id()), stat.nodeEpoch(), buffered.epoch);
        return Flow.CONTINUE;
      }
      refresh = buffered.epoch == null || stat.nodeEpoch() > buffered.epoch;
      if (refresh) {
        buffered.epoch = stat.nodeEpoch();
        buffered.stats.clear();
      }
      buffered.stats.add(PackedStats.pack(stat));
      if (!refresh && buffered.stats.size() < flushStatsFactor) {
        return Flow.CONTINUE;
      }
      toStore = List.copyOf(buffered.stats);
      buffered.stats.clear();
    }
    if (refresh) {
      rewriteAddress(stat);
    }
    view.putDatanodeStats(stat.id(), new PackedStats(toStore));
    return Flow.CONTINUE;
  }

  private void rewriteAddress(Stat stat) {
    try {
      leaderKv.put(NodeAddressKey.datanode(stat.id()).toBytes(),
          new NodeAddressValue(new Peer(stat.id(), stat.addr())).encode());
    } catch (RuntimeException e) {
      log.warn("cannot record the address of datanode {}: {}", Long.toUnsignedString(stat.id()),
          e.toString());
      return;
    }
    List<CacheIdent> tables = new ArrayList<>();
    stat.tableIds().forEach(id -> tables.add(new CacheIdent.TableId(id)));
    try {
      invalidations.invalidate(tables);
    } catch (RuntimeException e) {
      log.warn("cannot invalidate the caches of datanode {}'s tables: {}",
          Long.toUnsignedString(stat.id()), e.toString());
    }
  }

  private static final class Buffered {
    private Long epoch;
    /** Packed ({@link PackedStats}): a datanode's stats wait here for the next flush. */
    private final List<byte[]> stats = new ArrayList<>();
  }
}
