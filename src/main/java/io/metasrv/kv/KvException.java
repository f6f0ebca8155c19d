package io.metasrv.kv;

/** A storage operation failed; subclasses say why. */
public class KvException extends RuntimeException {
  public KvException(String message) {
    super(message);
  }

  public KvException(String message, Throwable cause) {
    super(message, cause);
  }
}
