package io.metasrv.grpc;

/**
 * The request needs the leader, and this node is not it: no node leads now, this node does not
 * know which one does, or the request may only be served by the leader.
 */
final class NoLeaderException extends RuntimeException {
  NoLeaderException() {
    this("no metasrv leader is known now; ask again shortly");
  }

  NoLeaderException(String message) {
    super(message, null, false, false);
  }
}
