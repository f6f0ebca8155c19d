package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.NodeInfo;
import io.metasrv.cluster.NodeStatus;
import io.metasrv.cluster.RegionStat;
import io.metasrv.cluster.Stat;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.Role;
import java.util.Optional;

/**
 * Records a node's {@link NodeInfo} under {@code __meta_cluster_node_info-0-{role}-{id}}
 * (frontends by the hash of their address), which frontends list for {@code
 * information_schema.cluster_info}. A datanode's status counts its leader and follower regions
 * (a downgrading leader counts as a follower) before inactive regions are filtered out.
 */
final class CollectClusterInfoHandler implements HeartbeatHandler {
  private final Role role;
  private final ClusterView view;

  CollectClusterInfoHandler(Role role, ClusterView view) {
    this.role = role;
    this.view = view;
  }

  @Override
  public String name() {
    return switch (role) {
      case DATANODE -> "CollectDatanodeClusterInfoHandler";
      case FRONTEND -> "CollectFrontendClusterInfoHandler";
      default -> "CollectFlownodeClusterInfoHandler";
    };
  }

  @Override
  public boolean accepts(Role role) {
    return role == this.role;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    HeartbeatRequest request = context.request();
    Optional<ClusterKeys.NodeInfoKey> key = ClusterKeys.nodeInfoKey(request);
    if (key.isEmpty() || !request.hasInfo()) {
      return Flow.CONTINUE;
    }
    NodeStatus status;
    long lastActivity;
    if (role == Role.DATANODE) {
      Optional<Stat> stat = context.stat();
      if (stat.isEmpty()) {
        return Flow.CONTINUE;
      }
      long leaders = leaderRegions(stat.get());
      status = new NodeStatus.Datanode(stat.get().rcus(), stat.get().wcus(), leaders,
          stat.get().regionStats().size() - leaders);
      lastActivity = stat.get().timestampMillis();
    } else {
      status = role == Role.FRONTEND ? new NodeStatus.Frontend() : new NodeStatus.Flownode();
      lastActivity = context.receivedAtMillis();
    }
    NodeInfo info = new NodeInfo(Peer.fromProto(request.getPeer()), lastActivity, status,
        request.getInfo().getVersion(), request.getInfo().getGitCommit(),
        request.getInfo().getStartTimeMs());
    view.kv().put(ClusterKeys.nodeInfo(key.get().role(), key.get().nodeId()), info.encode());
    return Flow.CONTINUE;
  }

  private static long leaderRegions(Stat stat) {
    return stat.regionStats().stream().map(RegionStat::role).filter(RegionRole.Leader::equals)
        .count();
  }
}
