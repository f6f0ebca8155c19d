package io.metasrv.heartbeat;

/**
 * A heartbeat handler failed; the node's stream ends with an error status, and the node
 * reconnects, as with GreptimeDB's metasrv.
 */
public final class HeartbeatHandlerException extends RuntimeException {
  private final String handler;

  public HeartbeatHandlerException(String handler, Throwable cause) {
    super(handler + " failed: " + cause.getMessage(), cause);
    this.handler = handler;
  }

  /** The failing handler's name. */
  public String handler() {
    return handler;
  }
}
