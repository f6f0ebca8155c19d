package io.metasrv.kv.rds;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvUnavailableException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens connections to a SQL store: single ones straight from the driver (the first connection at
 * start, whose failure must say exactly why; the election's dedicated session) and the pool the
 * store's operations share.
 */
public final class RdsConnections {
  private static final Logger log = LoggerFactory.getLogger(RdsConnections.class);

  private RdsConnections() {}

  /** Work to do on a connection. */
  @FunctionalInterface
  public interface ConnectionWork {
    void run(Connection connection) throws SQLException;
  }

  /**
   * One connection from the driver, outside any pool, with the connect and socket timeouts set.
   *
   * @throws SQLException as the driver reports the failure
   */
  public static Connection open(RdsEndpoint endpoint, Duration connectTimeout,
      Duration socketTimeout) throws SQLException {
    Properties properties = endpoint.connectionProperties();
    long connectSeconds = Math.max(1, connectTimeout.toSeconds());
    switch (endpoint.flavor()) {
      case POSTGRES -> {
        properties.putIfAbsent("connectTimeout", Long.toString(connectSeconds));
        properties.putIfAbsent("socketTimeout", Long.toString(Math.max(1,
            socketTimeout.toSeconds())));
        properties.putIfAbsent("tcpKeepAlive", "true");
      }
      case MYSQL -> {
        properties.putIfAbsent("connectTimeout", Long.toString(connectTimeout.toMillis()));
        properties.putIfAbsent("socketTimeout", Long.toString(socketTimeout.toMillis()));
        properties.putIfAbsent("tcpKeepAlive", "true");
      }
    }
    return DriverManager.getConnection(endpoint.jdbcUrl(), properties);
  }

  /**
   * Connects for the first time, trying {@code config.connectAttempts()} times, and runs {@code
   * setUp} (creating the meta table) on that connection.
   *
   * @throws KvUnavailableException naming the server when it cannot be reached
   * @throws KvException when it refuses the credentials or offers no TLS where the address
   *     requires it (neither retried), or the set-up fails
   */
  public static void connectAndSetUp(RdsKvConfig config, ConnectionWork setUp) {
    RdsEndpoint endpoint = config.endpoint();
    SQLException last = null;
    for (int attempt = 1; attempt <= config.connectAttempts(); attempt++) {
      try (Connection connection = open(endpoint, config.connectTimeout(),
          Duration.ofSeconds(30))) {
        setUp.run(connection);
        return;
      } catch (SQLException e) {
        last = e;
        if (SqlFailures.isAuthenticationFailure(e)) {
          throw new KvException(SqlFailures.authenticationMessage(endpoint, e), e);
        }
        if (SqlFailures.isTlsRefusal(e)) {
          throw new KvException(SqlFailures.tlsRefusalMessage(endpoint, e), e);
        }
        log.warn("cannot connect to {} at {} (attempt {} of {}): {}",
            endpoint.flavor().displayName(), endpoint.describe(), attempt,
            config.connectAttempts(), SqlFailures.message(e));
      }
      if (attempt < config.connectAttempts()) {
        sleep(config.connectRetryDelay());
      }
    }
    String reason = SqlFailures.message(last);
    if (SqlFailures.isConnectionFailure(last)) {
      throw new KvUnavailableException("cannot reach " + endpoint.flavor().displayName()
          + " at " + endpoint.host() + ":" + endpoint.port() + " (database " + endpoint.database()
          + ", user " + endpoint.user() + ") after " + config.connectAttempts() + " attempts: "
          + reason, last);
    }
    throw new KvException("cannot set up the meta table \"" + config.tableName() + "\" in "
        + endpoint.flavor().displayName() + " at " + endpoint.describe() + ": " + reason, last);
  }

  /**
   * The pool the store's operations share.
   *
   * @param isolation the JDBC isolation level every pooled connection uses
   * @param driverSettings driver properties the store's statements depend on, over those the
   *     address sets
   */
  public static HikariDataSource pool(RdsKvConfig config, int isolation, String poolName,
      Map<String, String> driverSettings) {
    RdsEndpoint endpoint = config.endpoint().withProperties(driverSettings);
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName(poolName);
    hikari.setDataSource(new ReconnectingDataSource(endpoint));
    hikari.setMaximumPoolSize(config.poolSize());
    hikari.setMinimumIdle(Math.min(2, config.poolSize()));
    hikari.setConnectionTimeout(config.connectTimeout().toMillis());
    hikari.setValidationTimeout(Math.min(config.connectTimeout().toMillis(), 5000));
    hikari.setTransactionIsolation(isolationName(isolation));
    // transactions begin and commit by statement (RdsKv.Transaction): autocommit never changes
    hikari.setAutoCommit(true);
    // the first connection was made and checked by connectAndSetUp; do not fail again here
    hikari.setInitializationFailTimeout(-1);
    return new HikariDataSource(hikari);
  }

  private static String isolationName(int isolation) {
    return switch (isolation) {
      case Connection.TRANSACTION_REPEATABLE_READ -> "TRANSACTION_REPEATABLE_READ";
      case Connection.TRANSACTION_READ_COMMITTED -> "TRANSACTION_READ_COMMITTED";
      default -> throw new IllegalArgumentException("unsupported isolation level " + isolation);
    };
  }

  private static void sleep(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvUnavailableException("interrupted while connecting", e);
    }
  }
}
