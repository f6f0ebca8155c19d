package io.metasrv.http;

import java.util.Optional;

/** A leader-only request reached a node that does not lead; answered 503 with the leader. */
public final class NotLeaderException extends RuntimeException {
  public NotLeaderException(Optional<String> leaderAddr) {
    super("not the leader; " + leaderAddr.map(addr -> "the leader is " + addr)
        .orElse("no leader is known now"), null, false, false);
  }
}
