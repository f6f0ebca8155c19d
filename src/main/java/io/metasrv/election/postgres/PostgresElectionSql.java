package io.metasrv.election.postgres;

import io.metasrv.election.rds.ElectionSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The election on PostgreSQL: the session-level advisory lock {@code meta_election_lock_id}
 * (GreptimeDB's {@code pg_try_advisory_lock}), and values with expiries written with the
 * database's {@code CURRENT_TIMESTAMP} in UTC, in GreptimeDB's format.
 */
public final class PostgresElectionSql implements ElectionSql {
  private static final String SEPARATOR = "'||__metadata_lease_sep||'";
  private static final String NOW = "to_char(CURRENT_TIMESTAMP, 'YYYY-MM-DD HH24:MI:SS.MS')";

  private final long lockId;
  private final String table;

  /** @param table {@code meta_table_name}, a plain identifier */
  public PostgresElectionSql(String table, long lockId) {
    this.lockId = lockId;
    this.table = "\"" + table + "\"";
  }

  @Override
  public String lockDescription() {
    return "pg_advisory_lock(" + lockId + ")";
  }

  @Override
  public void prepareSession(Connection session, long idleTimeoutSeconds) throws SQLException {
    try (Statement statement = session.createStatement()) {
      statement.execute("SET TIME ZONE 'UTC'");
      // the server ends a session idle this long, releasing the lock of a node cut off from it
      statement.execute("SET idle_session_timeout = '" + idleTimeoutSeconds + "s'");
    }
  }

  @Override
  public boolean tryLock(Connection session) throws SQLException {
    return booleanQuery(session, "SELECT pg_try_advisory_lock(?)");
  }

  @Override
  public void unlock(Connection session) throws SQLException {
    booleanQuery(session, "SELECT pg_advisory_unlock(?)");
  }

  private boolean booleanQuery(Connection session, String query) throws SQLException {
    try (PreparedStatement statement = session.prepareStatement(query)) {
      statement.setLong(1, lockId);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getBoolean(1);
      }
    }
  }

  private static String valueWithLease() {
    return "convert_to(?::text || " + SEPARATOR + " || to_char(CURRENT_TIMESTAMP"
        + " + ?::bigint * INTERVAL '1 millisecond', 'YYYY-MM-DD HH24:MI:SS.MS'), 'UTF8')";
  }

  @Override
  public String putWithLease() {
    return "INSERT INTO " + table + " (k, v) VALUES (?, " + valueWithLease() + ")"
        + " ON CONFLICT (k) DO UPDATE SET v = excluded.v";
  }

  @Override
  public String renewWithLease() {
    return "UPDATE " + table + " SET v = " + valueWithLease()
        + " WHERE k = ? AND substring(v from 1 for ?) = ?";
  }

  @Override
  public String getWithLease() {
    return "SELECT v, " + NOW + " FROM " + table + " WHERE k = ?";
  }

  @Override
  public String rangeWithLease() {
    return "SELECT v, " + NOW + " FROM " + table + " WHERE k >= ? AND k < ?";
  }

  @Override
  public String deleteIfStartsWith() {
    return "DELETE FROM " + table + " WHERE k = ? AND substring(v from 1 for ?) = ?";
  }

  @Override
  public String getTwo() {
    return "SELECT k, v FROM " + table + " WHERE k IN (?, ?)";
  }

  @Override
  public String put() {
    return "INSERT INTO " + table + " (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET"
        + " v = excluded.v";
  }
}
