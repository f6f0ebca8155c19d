package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.ClusterView;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the leader's view afresh once after each election (see {@link ClusterView}); an
 * earlier handler of the same request may already have done it, by writing to the view.
 */
final class OnLeaderStartHandler implements HeartbeatHandler {
  private static final Logger log = LoggerFactory.getLogger(OnLeaderStartHandler.class);

  private final ClusterView view;

  OnLeaderStartHandler(ClusterView view) {
    this.view = view;
  }

  @Override
  public String name() {
    return "OnLeaderStartHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return true;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (view.resetIfStale()) {
      log.info("first heartbeat since this node was elected: the cluster view starts empty");
    }
    return Flow.CONTINUE;
  }
}
