package io.metasrv.heartbeat;

/** A mailbox message could not be delivered or was not answered in time. */
public final class MailboxException extends RuntimeException {
  public MailboxException(String message) {
    super(message);
  }

  public MailboxException(String message, Throwable cause) {
    super(message, cause);
  }
}
