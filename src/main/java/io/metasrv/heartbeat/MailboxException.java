package io.metasrv.heartbeat;

/** A mailbox message could not be delivered or was not answered in time. */
public final class MailboxException extends RuntimeException {

  /** Why no reply came. */
  public enum Kind {
    /** The node has no heartbeat stream to this leader (GreptimeDB's {@code PusherNotFound}). */
    NO_STREAM,
    /** The node did not answer within the deadline ({@code MailboxTimeout}). */
    TIMEOUT,
    /** The push failed or this node stopped leading before the reply came. */
    FAILED
  }

  private final Kind kind;

  public MailboxException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
