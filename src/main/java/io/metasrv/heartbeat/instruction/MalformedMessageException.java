package io.metasrv.heartbeat.instruction;

/** A mailbox message whose payload is not the instruction or reply JSON GreptimeDB writes. */
public final class MalformedMessageException extends RuntimeException {
  public MalformedMessageException(String message) {
    super(message);
  }

  public MalformedMessageException(String message, Throwable cause) {
    super(message, cause);
  }
}
