package io.metasrv.operator.admin;

import java.net.URI;
import java.util.Optional;

/**
 * The admin HTTP API of one metasrv pod, as the operator uses it. An interface so that tests can
 * stand in small servers for pods; {@link HttpPodAdminApi} is the real one.
 */
public interface PodAdminApi {
  /** {@code GET /health}; {@link NodeReport#unreachable()} when the pod does not answer. */
  NodeReport health(URI pod);

  /** {@code GET /admin/leader}: the leader's server_addr, if the pod knows one. */
  Optional<String> leaderAddress(URI pod);

  /** {@code GET /admin/maintenance}; empty when the pod does not answer. */
  Optional<Boolean> maintenance(URI pod);

  /**
   * {@code POST /admin/maintenance/enable} or {@code /disable}; only the leader accepts it.
   *
   * @return the state the pod reports afterwards
   * @throws AdminApiException when the pod refuses or does not answer
   */
  boolean setMaintenance(URI pod, boolean enabled) throws AdminApiException;

  /** What a pod says about itself. */
  record NodeReport(Role role, Optional<Long> epoch) {
    public static NodeReport unreachable() {
      return new NodeReport(Role.UNREACHABLE, Optional.empty());
    }

    /** Answers 200: Kubernetes counts it ready. */
    public boolean serving() {
      return role == Role.LEADER || role == Role.FOLLOWER;
    }
  }

  /** The pod's role in the cluster. */
  enum Role {
    LEADER,
    FOLLOWER,
    NOT_SERVING,
    UNREACHABLE
  }

  /** A pod refused an admin request or could not be reached. */
  final class AdminApiException extends Exception {
    public AdminApiException(String message) {
      super(message);
    }
  }
}
