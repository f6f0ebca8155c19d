package io.metasrv.http;

import java.util.Optional;

/**
 * A leader-only request reached a node that cannot act as leader; answered 503, naming the
 * leader when one is known, or with {@code Retry-After} when this node was just elected and is
 * still starting as leader.
 */
public final class NotLeaderException extends RuntimeException {
  /** How long a client should wait before asking a node that is starting as leader again. */
  static final int STARTING_RETRY_AFTER_SECONDS = 1;

  private final boolean startingAsLeader;

  public NotLeaderException(Optional<String> leaderAddr) {
    this("not the leader; " + leaderAddr.map(addr -> "the leader is " + addr)
        .orElse("no leader is known now"), false);
  }

  private NotLeaderException(String message, boolean startingAsLeader) {
    super(message, null, false, false);
    this.startingAsLeader = startingAsLeader;
  }

  /** This node has been elected and is starting its leader-only work. */
  public static NotLeaderException startingAsLeader() {
    return new NotLeaderException(
        "this node was elected leader and is still starting as leader; retry shortly", true);
  }

  boolean isStartingAsLeader() {
    return startingAsLeader;
  }
}
