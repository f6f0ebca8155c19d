package io.metasrv.kv.rds;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Where the pool gets new connections: the driver, tried again every {@link #INTERVAL} while
 * the server cannot be reached (or is starting up), for up to {@link #WINDOW}, before the
 * failure goes back to the pool.
 *
 * <p>HikariCP pauses between its own attempts to add a connection, doubling the pause up to
 * 5 s (not configurable). With the driver failing at once while the server is down, the pause
 * reaches 5 s a few seconds into an outage, and the pool stays empty for up to 5 s after the
 * server is back: a node that won the election waited that long for its first write. Retrying
 * here at a fixed interval keeps a new connection within {@link #INTERVAL} of the server's
 * return; HikariCP's pause doubles only once per {@link #WINDOW} of outage.
 */
final class ReconnectingDataSource implements DataSource {
  static final Duration INTERVAL = Duration.ofMillis(100);
  static final Duration WINDOW = Duration.ofSeconds(30);

  private final String url;
  private final Properties properties;
  private int loginTimeoutSeconds;

  ReconnectingDataSource(RdsEndpoint endpoint) {
    this.url = endpoint.jdbcUrl();
    this.properties = endpoint.connectionProperties();
  }

  @Override
  public Connection getConnection() throws SQLException {
    long deadline = System.nanoTime() + WINDOW.toNanos();
    while (true) {
      try {
        return DriverManager.getConnection(url, properties);
      } catch (SQLException e) {
        if (!SqlFailures.isConnectionFailure(e) || System.nanoTime() - deadline >= 0) {
          throw e;
        }
        try {
          Thread.sleep(INTERVAL.toMillis());
        } catch (InterruptedException interrupted) { // the pool is closing
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the endpoint's credentials are used");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  /** Recorded as the interface asks; the driver's own connect timeout applies per attempt. */
  @Override
  public void setLoginTimeout(int seconds) {
    loginTimeoutSeconds = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeoutSeconds;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) {
      return type.cast(this);
    }
    throw new SQLException("not a wrapper of " + type.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }
}
