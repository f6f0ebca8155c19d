package io.metasrv.procedure;

/**
 * Thrown by {@link Procedure#execute} for a failure that may pass (a datanode unreachable, a
 * store timeout): the manager runs the same state again after a backoff delay.
 */
public class RetryLaterException extends Exception {
  public RetryLaterException(String message) {
    super(message);
  }

  public RetryLaterException(String message, Throwable cause) {
    super(message, cause);
  }
}
