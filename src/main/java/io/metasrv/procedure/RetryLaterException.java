package io.metasrv.procedure;
public class RetryLaterException extends Exception {
  public RetryLaterException(String message) { super(message); }
  public RetryLaterException(String message, Throwable cause) { super(message, cause); }
}
