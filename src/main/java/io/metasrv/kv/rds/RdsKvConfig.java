package io.metasrv.kv.rds;

import java.time.Duration;

/**
 * How a PostgreSQL or MySQL store is reached and laid out.
 *
 * @param endpoint the server, database and credentials
 * @param tableName the meta table ({@code meta_table_name}); a plain SQL identifier
 * @param poolSize the most connections the store's pool holds
 * @param connectTimeout how long one connection attempt, and one wait for a pooled connection,
 *     may take
 * @param connectAttempts how many times the first connection is tried at start before giving up
 * @param connectRetryDelay the pause between those attempts
 */
public record RdsKvConfig(RdsEndpoint endpoint, String tableName, int poolSize,
    Duration connectTimeout, int connectAttempts, Duration connectRetryDelay) {

  public static final int DEFAULT_POOL_SIZE = 16;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_CONNECT_ATTEMPTS = 3;
  public static final Duration DEFAULT_CONNECT_RETRY_DELAY = Duration.ofSeconds(1);

  public RdsKvConfig {
    if (!tableName.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
      throw new IllegalArgumentException("meta table name must be a plain SQL identifier, got \""
          + tableName + "\"");
    }
    if (poolSize < 1 || connectAttempts < 1) {
      throw new IllegalArgumentException("pool size and connect attempts must be at least 1");
    }
  }

  /** The defaults for everything but where the store is. */
  public static RdsKvConfig of(RdsEndpoint endpoint, String tableName) {
    return new RdsKvConfig(endpoint, tableName, DEFAULT_POOL_SIZE, DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_CONNECT_ATTEMPTS, DEFAULT_CONNECT_RETRY_DELAY);
  }

  public RdsKvConfig withPoolSize(int newPoolSize) {
    return new RdsKvConfig(endpoint, tableName, newPoolSize, connectTimeout, connectAttempts,
        connectRetryDelay);
  }

  public RdsKvConfig withConnectAttempts(int attempts, Duration retryDelay) {
    return new RdsKvConfig(endpoint, tableName, poolSize, connectTimeout, attempts, retryDelay);
  }
}
