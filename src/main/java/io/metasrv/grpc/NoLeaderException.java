package io.metasrv.grpc;

/** No node leads now, or this node does not know which one does. */
final class NoLeaderException extends RuntimeException {
  NoLeaderException() {
    super("no metasrv leader is known now; ask again shortly", null, false, false);
  }
}
