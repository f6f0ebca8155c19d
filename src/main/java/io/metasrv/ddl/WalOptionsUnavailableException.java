package io.metasrv.ddl;

/**
 * New regions cannot get WAL options yet: the leader's Kafka topics are still being created, or
 * creating them failed. Nothing was allocated; the same request can succeed later.
 */
public final class WalOptionsUnavailableException extends RuntimeException {
  public WalOptionsUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
