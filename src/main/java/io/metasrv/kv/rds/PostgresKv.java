package io.metasrv.kv.rds;

import com.zaxxer.hikari.HikariDataSource;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The store in a PostgreSQL table, GreptimeDB's {@code "<meta_table_name>"(k bytea PRIMARY KEY,
 * v bytea)}, created when missing, with our columns {@code version} and {@code mod_revision}
 * added when missing (GreptimeDB reads and writes {@code k} and {@code v} by name, so it keeps
 * working on the table), and the revision counter in the sequence {@code
 * "<meta_table_name>_revision"}.
 *
 * <p><b>Isolation: SERIALIZABLE for transactions, READ COMMITTED for the put of an existing
 * key and for reads.</b> A transaction reads its keys, decides here and then writes; under SERIALIZABLE (as
 * GreptimeDB's own PostgreSQL store), PostgreSQL aborts it (SQLState 40001) when a concurrent
 * transaction changed what it read, including a key it found missing that another inserted
 * meanwhile, so compare-then-write is atomic and lost updates are impossible. It also locks the
 * rows it read ({@code FOR UPDATE} the keys it may write, {@code FOR SHARE} the ones it only
 * compares), so that a write that commits after it, such as a new leader's epoch, cannot have
 * been missed by its compares. READ COMMITTED with {@code SELECT ... FOR UPDATE} alone would
 * not do for transactions: it cannot lock a key that does not exist yet, so two "create if
 * absent" transactions could both decide the key is free. A plain put of a key that exists is
 * one locking statement at READ COMMITTED instead (see {@link #putOne}), which waits where
 * SERIALIZABLE would abort and retry. Aborted transactions are run again (see {@link RdsKv}).
 * Reads are single statements, one snapshot each, at READ COMMITTED: a statement's snapshot is
 * as consistent there as under SERIALIZABLE, which would only add its bookkeeping (a
 * serializable transaction per read, predicate locks on the index pages it visits) and let the
 * reads' predicate locks count against writing transactions, aborting some of them.
 */
public final class PostgresKv extends RdsKv {
  private final String quotedTable;
  private final String sequence;
  /** Connections at READ COMMITTED: reads, and {@link #putOne}'s update of one existing row. */
  private final HikariDataSource readCommittedPool;
  private final String updateExistingSql;

  private PostgresKv(RdsKvConfig config, KvLimits limits) {
    this(config, limits, RdsConnections.pool(config, Connection.TRANSACTION_READ_COMMITTED,
        "metasrv-postgres-kv-read-committed"));
  }

  private PostgresKv(RdsKvConfig config, KvLimits limits, HikariDataSource readCommittedPool) {
    super("postgres", config, limits, RdsConnections.pool(config,
        Connection.TRANSACTION_SERIALIZABLE, "metasrv-postgres-kv"), readCommittedPool);
    this.readCommittedPool = readCommittedPool;
    this.quotedTable = quote(config.tableName());
    this.sequence = quote(config.tableName() + "_revision");
    this.updateExistingSql = "WITH prev AS MATERIALIZED (SELECT k, v, version, mod_revision"
        + " FROM " + quotedTable + " WHERE k = ? FOR UPDATE) UPDATE " + quotedTable
        + " AS cur SET v = ?, version = prev.version + 1, mod_revision = nextval('" + sequence
        + "') FROM prev WHERE cur.k = prev.k"
        + " RETURNING prev.k, prev.v, prev.version, prev.mod_revision";
  }

  /**
   * Connects (trying {@link RdsKvConfig#connectAttempts()} times), creates the meta table when
   * missing, and opens the pool.
   *
   * @throws io.metasrv.kv.KvUnavailableException naming the server when it cannot be reached
   * @throws io.metasrv.kv.KvException when it refuses the credentials or the table
   */
  public static PostgresKv connect(RdsKvConfig config, KvLimits limits) {
    RdsConnections.connectAndSetUp(config, connection -> createTable(connection,
        config.tableName()));
    return new PostgresKv(config, limits);
  }

  /** GreptimeDB's table, then our two columns and the revision sequence. */
  static void createTable(Connection connection, String table) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE IF NOT EXISTS " + quote(table)
          + "(k bytea PRIMARY KEY, v bytea)");
      Set<String> columns = new HashSet<>();
      try (PreparedStatement query = connection.prepareStatement("SELECT column_name FROM"
          + " information_schema.columns WHERE table_schema = current_schema()"
          + " AND table_name = ?")) {
        query.setString(1, table);
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            columns.add(rows.getString(1));
          }
        }
      }
      // checked first: ALTER TABLE takes an exclusive lock even when there is nothing to add
      if (!columns.containsAll(List.of("version", "mod_revision"))) {
        statement.execute("ALTER TABLE " + quote(table)
            + " ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1,"
            + " ADD COLUMN IF NOT EXISTS mod_revision bigint NOT NULL DEFAULT 0");
      }
      statement.execute("CREATE SEQUENCE IF NOT EXISTS " + quote(table + "_revision"));
    }
  }

  @Override
  protected String quotedTable() {
    return quotedTable;
  }

  @Override
  protected PreparedStatement selectKeysForWrite(Connection connection, List<byte[]> written,
      List<byte[]> readOnly) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(
        "WITH written AS (SELECT k, v, version, mod_revision FROM " + quotedTable
            + " WHERE k = ANY(?) FOR UPDATE), read_only AS (SELECT k, v, version, mod_revision"
            + " FROM " + quotedTable + " WHERE k = ANY(?) FOR SHARE)"
            + " SELECT * FROM written UNION ALL SELECT * FROM read_only");
    statement.setArray(1, connection.createArrayOf("bytea", written.toArray(new byte[0][])));
    statement.setArray(2, connection.createArrayOf("bytea", readOnly.toArray(new byte[0][])));
    return statement;
  }

  @Override
  protected PreparedStatement selectKeysAndRevision(Connection connection, List<byte[]> keys)
      throws SQLException {
    PreparedStatement statement = connection.prepareStatement(
        "SELECT k, v, version, mod_revision FROM " + quotedTable + " WHERE k = ANY(?)"
            + " UNION ALL SELECT NULL, NULL, NULL, " + revisionExpression());
    statement.setArray(1, connection.createArrayOf("bytea", keys.toArray(new byte[0][])));
    return statement;
  }

  @Override
  protected long currentRevision(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT " + revisionExpression())) {
      rows.next();
      return rows.getLong(1);
    }
  }

  /** The sequence's last value, 0 before its first {@code nextval}. */
  private String revisionExpression() {
    return "(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + sequence + ")";
  }

  /**
   * One statement: the deletes, and the puts as one upsert of arrays (so the statement's text,
   * and its server-side plan, is the same whatever the number of keys) under one new revision.
   */
  @Override
  protected long write(Connection connection, Collection<KeyValue> puts,
      Collection<byte[]> deletes) throws SQLException {
    byte[][] deleted = deletes.toArray(new byte[0][]);
    if (puts.isEmpty()) {
      if (deleted.length > 0) {
        try (PreparedStatement statement = connection.prepareStatement(
            "DELETE FROM " + quotedTable + " WHERE k = ANY(?)")) {
          statement.setArray(1, connection.createArrayOf("bytea", deleted));
          statement.executeUpdate();
        }
      }
      return 0;
    }
    byte[][] keys = new byte[puts.size()][];
    byte[][] values = new byte[puts.size()][];
    Long[] versions = new Long[puts.size()];
    int i = 0;
    for (KeyValue kv : puts) {
      keys[i] = kv.key();
      values[i] = kv.value();
      versions[i++] = kv.version();
    }
    try (PreparedStatement statement = connection.prepareStatement(
        "WITH revision AS (SELECT nextval('" + sequence + "') AS r),"
            + " removed AS (DELETE FROM " + quotedTable + " WHERE k = ANY(?)),"
            + " written AS (INSERT INTO " + quotedTable + " (k, v, version, mod_revision)"
            + " SELECT x.k, x.v, x.version, revision.r FROM revision,"
            + " unnest(?::bytea[], ?::bytea[], ?::bigint[]) AS x(k, v, version)"
            + " ON CONFLICT (k) DO UPDATE SET v = excluded.v, version = excluded.version,"
            + " mod_revision = excluded.mod_revision)"
            + " SELECT r FROM revision")) {
      statement.setArray(1, connection.createArrayOf("bytea", deleted));
      statement.setArray(2, connection.createArrayOf("bytea", keys));
      statement.setArray(3, connection.createArrayOf("bytea", values));
      statement.setArray(4, connection.createArrayOf("bigint", versions));
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /**
   * A put of a key that exists: one statement in autocommit mode at READ COMMITTED on a
   * connection of {@link #readCommittedPool}, one round trip. It locks the row ({@code FOR UPDATE},
   * which waits for a concurrent writer and then reads its committed row), and updates it with
   * the next version and a new revision, returning the locked row as the previous value: exact,
   * since nobody can change the row in between. Concurrent puts of one key wait for each other
   * instead of aborting each other, as they do under SERIALIZABLE.
   *
   * <p>A key that does not exist is not created here but by a transaction of one put, under
   * SERIALIZABLE: creating a key is what SERIALIZABLE must see to keep transactions that found
   * it missing correct. Updating an existing row needs no such care, since every writing
   * transaction locks the rows it read (see {@link #selectKeysForWrite}): it either holds its
   * lock until it commits, and this put waits, or finds the row updated since its snapshot and is
   * run again.
   */
  @Override
  protected Optional<KeyValue> putOne(byte[] key, byte[] value) {
    try (Connection connection = readCommittedPool.getConnection();
        PreparedStatement statement = connection.prepareStatement(updateExistingSql)) {
      statement.setBytes(1, key);
      statement.setBytes(2, value);
      try (ResultSet rows = statement.executeQuery()) {
        if (rows.next()) {
          return Optional.of(row(rows));
        }
      }
    } catch (SQLException e) {
      throw SqlFailures.toKvException(endpoint, "put", e);
    }
    return super.putOne(key, value);
  }

  @Override
  protected String lockingClause() {
    return " FOR UPDATE"; // as selectKeysForWrite: a put of an existing row waits for this
  }

  /** A double-quoted identifier, as GreptimeDB writes the table's name. */
  static String quote(String identifier) {
    return "\"" + identifier + "\"";
  }
}
