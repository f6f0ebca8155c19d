package io.metasrv.election.rds;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the election says differently on PostgreSQL and MySQL: the session lock that makes one
 * node the only one that may write the leader value, and the statements that keep values with an
 * expiry time in the meta table, judged by the database's clock as GreptimeDB does
 * ({@code <value>||__metadata_lease_sep||<expiry as YYYY-MM-DD HH:MM:SS.fff>}).
 */
public interface ElectionSql {

  /** How the lock is named in logs. */
  String lockDescription();

  /**
   * Prepares the election's own session: UTC for the expiry times, and a server-side idle
   * timeout so that the session, and the lock, of a node cut off from the database end soon.
   */
  void prepareSession(Connection session, long idleTimeoutSeconds) throws SQLException;

  /** Takes the lock for this session without waiting; whether it holds it now. */
  boolean tryLock(Connection session) throws SQLException;

  /** Releases the lock this session holds. */
  void unlock(Connection session) throws SQLException;

  /**
   * Writes a value with an expiry; parameters: key, value text, lease in milliseconds.
   */
  String putWithLease();

  /**
   * Renews the value of a key only while it still starts with the given bytes; parameters:
   * value text, lease in milliseconds, key, prefix length, prefix.
   */
  String renewWithLease();

  /** Reads {@code v} and the database's time now; parameter: key. */
  String getWithLease();

  /** Reads {@code v} and the database's time now for keys in [from, to). */
  String rangeWithLease();

  /** Deletes a key only while its value starts with the given bytes; parameters: key, length, prefix. */
  String deleteIfStartsWith();

  /** Reads {@code k, v} of the keys given; parameters: two keys. */
  String getTwo();

  /** Writes a plain value; parameters: key, value. */
  String put();
}
