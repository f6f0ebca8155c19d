package io.metasrv.kv;

/** The backend could not be reached or did not answer; the operation may not have happened. */
public final class KvUnavailableException extends KvException {
  public KvUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
