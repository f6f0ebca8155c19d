package io.metasrv.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.cluster.ClusterKeys.NodeInfoKey;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.Role;
import org.junit.jupiter.api.Test;

/** The leader's view forgetting idle nodes, on explicit timestamps. */
class ClusterViewTest {
  private static final long MAX_IDLE = 86_400_000;
  private static final long NOW = 1_700_000_000_000L;

  private final ClusterView view = new ClusterView();

  @Test
  void idleNodesOfEveryRoleAreRemovedAndNamedAndTheOthersStay() {
    NodeInfoKey idleDatanode = new NodeInfoKey(Role.DATANODE, 7);
    NodeInfoKey busyDatanode = new NodeInfoKey(Role.DATANODE, 8);
    NodeInfoKey idleFrontend = new NodeInfoKey(Role.FRONTEND, ClusterKeys.frontendNodeId(
        "10.0.0.9:4001"));
    NodeInfoKey idleFlownode = new NodeInfoKey(Role.FLOWNODE, 7);
    put(idleDatanode, new NodeStatus.Datanode(0, 0, 1, 0), NOW - MAX_IDLE - 1);
    put(busyDatanode, new NodeStatus.Datanode(0, 0, 1, 0), NOW - MAX_IDLE);
    put(idleFrontend, new NodeStatus.Frontend(), NOW - MAX_IDLE - 1);
    put(idleFlownode, new NodeStatus.Flownode(), NOW - 2 * MAX_IDLE);
    view.kv().put(ClusterKeys.datanodeLease(7), new LeaseValue(NOW - MAX_IDLE - 1,
        "10.0.0.7:4001").encode());

    assertThat(view.removeIdleNodes(NOW, MAX_IDLE))
        .containsExactlyInAnyOrder(idleDatanode, idleFrontend, idleFlownode);

    assertThat(view.kv().get(idleDatanode.toBytes())).isEmpty();
    assertThat(view.kv().get(idleFrontend.toBytes())).isEmpty();
    assertThat(view.kv().get(idleFlownode.toBytes())).isEmpty();
    assertThat(view.kv().get(busyDatanode.toBytes())).as("idle exactly the limit").isPresent();
    assertThat(view.kv().get(ClusterKeys.datanodeLease(7))).as("leases stay").isPresent();
    assertThat(view.removeIdleNodes(NOW, MAX_IDLE)).as("nothing left to remove").isEmpty();
  }

  private void put(NodeInfoKey key, NodeStatus status, long lastActivityMillis) {
    long id = key.role() == Role.FRONTEND ? 0 : key.nodeId();
    view.kv().put(key.toBytes(), new NodeInfo(new Peer(id, "10.0.0." + id + ":4001"),
        lastActivityMillis, status, "0.14.0", "abc", 1).encode());
  }
}
