package io.metasrv.election;

/** The election backend could not answer; what was asked may or may not have happened. */
public class ElectionException extends RuntimeException {
  public ElectionException(String message, Throwable cause) {
    super(message, cause);
  }
}
