package io.metasrv.kv.rds;

import io.metasrv.kv.KvException;
import io.metasrv.kv.KvUnavailableException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/** What a failed JDBC call means for the caller: retry, unavailable, refused credentials. */
public final class SqlFailures {
  /** PostgreSQL: the server is shutting down or ended this session (pg_terminate_backend). */
  private static final Set<String> SESSION_ENDED_STATES = Set.of("57P01", "57P02", "57P03");
  /** MySQL: the server is gone, the connection was lost or killed (KILL). */
  private static final Set<Integer> MYSQL_CONNECTION_ERRORS = Set.of(1927, 2006, 2013, 1053);
  /** MySQL: lock wait timeout; a deadlock is 1213 with SQLState 40001. */
  private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;

  private SqlFailures() {}

  /**
   * A conflict with a concurrent transaction that running the transaction again may resolve:
   * a serialization failure or a deadlock (SQLState 40001, 40P01), or MySQL's lock wait timeout.
   */
  public static boolean isConflict(SQLException e) {
    String state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state)
        || e.getErrorCode() == MYSQL_LOCK_WAIT_TIMEOUT;
  }

  /** The connection failed or was ended: the database may be down or unreachable. */
  public static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return e instanceof SQLTransientConnectionException
        || e instanceof SQLNonTransientConnectionException
        || state != null && (state.startsWith("08") || SESSION_ENDED_STATES.contains(state))
        || MYSQL_CONNECTION_ERRORS.contains(e.getErrorCode());
  }

  /** The server refused the user name or password. */
  public static boolean isAuthenticationFailure(SQLException e) {
    String state = e.getSQLState();
    return "28P01".equals(state) || "28000".equals(state) || e.getErrorCode() == 1045;
  }

  /**
   * The server does not speak TLS and the address's TLS mode demands it (pgjdbc: "The server
   * does not support SSL"; MariaDB Connector/J: "ssl not enabled in the server"). Told by the
   * drivers' messages: both report it with a generic connection SQLState.
   */
  public static boolean isTlsRefusal(SQLException e) {
    String text = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    return text.contains("server does not support ssl")
        || text.contains("ssl not enabled in the server");
  }

  /** Says that the server offers no TLS while the address's TLS mode requires it. */
  public static String tlsRefusalMessage(RdsEndpoint endpoint, SQLException e) {
    return endpoint.flavor().displayName() + " at " + endpoint.describe() + " does not accept"
        + " TLS connections, and the TLS mode of store_addrs (or [backend_tls]) requires TLS; "
        + (endpoint.flavor() == RdsEndpoint.Flavor.MYSQL
            ? "on MySQL PREFERRED requires it too (the driver cannot fall back to plaintext); "
            : "")
        + "enable TLS on the server or connect without it: " + message(e);
  }

  /** The exception the store throws for {@code e}, naming the operation and the server. */
  public static KvException toKvException(RdsEndpoint endpoint, String operation,
      SQLException e) {
    if (isAuthenticationFailure(e)) {
      return new KvException(authenticationMessage(endpoint, e), e);
    }
    if (isConnectionFailure(e)) {
      return new KvUnavailableException(endpoint.flavor().displayName() + " at "
          + endpoint.describe() + " unavailable during " + operation + ": " + message(e), e);
    }
    return new KvException(endpoint.flavor().displayName() + " at " + endpoint.describe()
        + " failed " + operation + ": " + message(e), e);
  }

  /** Says that the server refused this user, and why that usually is. */
  public static String authenticationMessage(RdsEndpoint endpoint, SQLException e) {
    return endpoint.flavor().displayName() + " at " + endpoint.describe()
        + " refused to log in user \"" + endpoint.user() + "\" (wrong password, or the user may"
        + " not connect from here): " + message(e);
  }

  /** The driver's message with the SQLState, which names the condition exactly. */
  public static String message(SQLException e) {
    Throwable cause = e;
    while (cause.getMessage() == null && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String state = e.getSQLState() == null ? "" : " [SQLState " + e.getSQLState() + "]";
    return cause.getMessage() + state;
  }
}
