package io.metasrv.server;

import io.metasrv.http.NodeHealth;

/** Where a {@link Metasrv} is in its life. */
public enum ServingState {
  STARTING,
  LEADER,
  FOLLOWER,
  STOPPING,
  STOPPED;

  NodeHealth health() {
    return switch (this) {
      case LEADER -> NodeHealth.LEADER;
      case FOLLOWER -> NodeHealth.FOLLOWER;
      case STARTING, STOPPING, STOPPED -> NodeHealth.NOT_SERVING;
    };
  }
}
