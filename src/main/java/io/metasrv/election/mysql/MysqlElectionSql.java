package io.metasrv.election.mysql;

import io.metasrv.election.rds.ElectionSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The election on MySQL: the named lock {@code GET_LOCK('metasrv-election-<table>-<lock id>')},
 * held by the session, and values with expiries written with the database's {@code NOW(3)} in
 * UTC, in GreptimeDB's format.
 *
 * <p>GreptimeDB's MySQL election at the seed's commit locks the whole meta table with {@code
 * SELECT * FROM <table> FOR UPDATE} in a long transaction instead, which stalls every store
 * write behind the election; a named lock serves the same purpose without touching the table.
 */
public final class MysqlElectionSql implements ElectionSql {
  private static final String SEPARATOR = "'||__metadata_lease_sep||'";
  private static final String NOW = "DATE_FORMAT(NOW(3), '%Y-%m-%d %T.%f')";

  private final String lockName;
  private final String table;

  /** @param table {@code meta_table_name}, a plain identifier */
  public MysqlElectionSql(String table, long lockId) {
    String name = "metasrv-election-" + table + "-" + lockId;
    this.lockName = name.length() <= 64 ? name : name.substring(name.length() - 64);
    this.table = "`" + table + "`";
  }

  @Override
  public String lockDescription() {
    return "GET_LOCK('" + lockName + "')";
  }

  @Override
  public void prepareSession(Connection session, long idleTimeoutSeconds) throws SQLException {
    try (Statement statement = session.createStatement()) {
      statement.execute("SET time_zone = '+00:00'");
      // the server ends a session idle this long, releasing the lock of a node cut off from it
      statement.execute("SET SESSION wait_timeout = " + idleTimeoutSeconds);
    }
  }

  @Override
  public boolean tryLock(Connection session) throws SQLException {
    try (PreparedStatement statement = session.prepareStatement("SELECT GET_LOCK(?, 0)")) {
      statement.setString(1, lockName);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getInt(1) == 1;
      }
    }
  }

  @Override
  public void unlock(Connection session) throws SQLException {
    try (PreparedStatement statement = session.prepareStatement("SELECT RELEASE_LOCK(?)")) {
      statement.setString(1, lockName);
      statement.executeQuery().close();
    }
  }

  private static String valueWithLease() {
    return "CONCAT(?, " + SEPARATOR + ", DATE_FORMAT(DATE_ADD(NOW(3), INTERVAL ? * 1000"
        + " MICROSECOND), '%Y-%m-%d %T.%f'))";
  }

  @Override
  public String putWithLease() {
    return "INSERT INTO " + table + " (k, v) VALUES (?, " + valueWithLease() + ")"
        + " ON DUPLICATE KEY UPDATE v = VALUES(v)";
  }

  @Override
  public String renewWithLease() {
    return "UPDATE " + table + " SET v = " + valueWithLease()
        + " WHERE k = ? AND LEFT(v, ?) = ?";
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
    return "DELETE FROM " + table + " WHERE k = ? AND LEFT(v, ?) = ?";
  }

  @Override
  public String getTwo() {
    return "SELECT k, v FROM " + table + " WHERE k IN (?, ?)";
  }

  @Override
  public String put() {
    return "INSERT INTO " + table + " (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE"
        + " v = VALUES(v)";
  }
}
