package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.FlowStateValue;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.Role;

/** Stores the last flow statistics a flownode reported under {@code __flow/state}. */
final class FlowStateHandler implements HeartbeatHandler {
  private final ClusterView view;

  FlowStateHandler(ClusterView view) {
    this.view = view;
  }

  @Override
  public String name() {
    return "FlowStateHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.FLOWNODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (context.request().hasFlowStat()) {
      view.kv().put(ClusterKeys.flowState(),
          FlowStateValue.fromProto(context.request().getFlowStat()).encode());
    }
    return Flow.CONTINUE;
  }
}
