package io.metasrv.grpc;

/** A request that cannot be served as sent (missing header, unparsable body, bad argument). */
public final class InvalidRequestException extends RuntimeException {
  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }

  public InvalidRequestException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
