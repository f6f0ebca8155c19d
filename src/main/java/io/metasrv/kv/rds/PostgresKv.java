package io.metasrv.kv.rds;

import com.zaxxer.hikari.HikariDataSource;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The store in a PostgreSQL table, GreptimeDB's {@code "<meta_table_name>"(k bytea PRIMARY KEY,
 * v bytea)}, created when missing, with our columns {@code version} and {@code mod_revision}
 * added when missing (GreptimeDB reads and writes {@code k} and {@code v} by name, so it keeps
 * working on the table), and the revision counter in the sequence {@code
 * "<meta_table_name>_revision"}.
 *
 * <p><b>Isolation: READ COMMITTED, with every key a writing transaction names locked until it
 * commits.</b> A transaction reads its keys, decides here and then writes. Its first statement
 * locks the rows it finds ({@code FOR UPDATE} the keys it may write, {@code FOR SHARE} the ones
 * it only compares or gets, so that the leader's writes, which all compare the same epoch key,
 * run side by side); at READ COMMITTED a locking read waits for a concurrent writer of the row
 * and then returns the row as that writer committed it, so what it read is current and stays
 * so until it commits. A row cannot be locked before it exists, so for the keys it found missing
 * it takes transaction-scoped advisory locks ({@link #lockMissingKeys}: exclusive for a key it
 * may create, shared for one it only compares), then reads those keys again in a new statement,
 * whose snapshot sees a key created before the lock. Every creation of a key happens under its
 * exclusive advisory lock, so a transaction that found a key missing keeps it missing until it
 * commits, and two "create if absent" transactions cannot both find it free. A range delete
 * takes the creation lock exclusively ({@link #lockKeyCreation}), which every transaction
 * that may create a key takes shared, so no key appears in the range while it deletes. Each
 * transaction thus holds a lock on everything it read until it commits (two-phase locking),
 * which makes concurrent transactions serializable without SERIALIZABLE's bookkeeping: its
 * predicate locks are taken on the index pages or the whole table a plan happens to visit, so
 * transactions on unrelated keys abort each other (40001), under load many times in a row, and
 * run out of the server's conflict memory ("not enough elements in RWConflictPool", 53200).
 * Deadlocks between transactions that lock the same keys in different orders are aborted by
 * the server and run again (see {@link RdsKv}). Reads are single statements, one snapshot
 * each, and take no locks. READ COMMITTED is the level of every pooled session, which the pool
 * sets; transactions begin at it by statement ({@link RdsKv}).
 *
 * <p>The advisory locks are PostgreSQL's two-integer form: the first the hash of the table's
 * name, the second the hash of the key (0 for the creation lock). Two keys with one hash share
 * a lock, which only makes one wait for the other. The election's lock ({@code
 * meta_election_lock_id}) is of the one-bigint form, which PostgreSQL keeps apart.
 */
public final class PostgresKv extends RdsKv {
  /** The second half of the advisory lock every creation of a key takes shared. */
  private static final int CREATION_LOCK = 0;

  private final String quotedTable;
  private final String sequence;
  /** The first half of this table's advisory locks. */
  private final int lockClass;
  /** Connections at READ COMMITTED, for everything. */
  private final HikariDataSource pool;
  private final String updateExistingSql;

  private PostgresKv(RdsKvConfig config, KvLimits limits) {
    this(config, limits, RdsConnections.pool(config, Connection.TRANSACTION_READ_COMMITTED,
        "metasrv-postgres-kv", Map.of()));
  }

  private PostgresKv(RdsKvConfig config, KvLimits limits, HikariDataSource pool) {
    super("postgres", config, limits, pool, pool);
    this.pool = pool;
    this.lockClass = config.tableName().hashCode();
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

  /**
   * Keys are bound one parameter each ({@code k IN (?, ?)}), never as one array parameter: a
   * {@code bytea[]} travels as text that both ends must encode and parse, and {@code k =
   * ANY(?)} is planned anew on every execution, where a fixed list of parameters gets the
   * generic plan that PostgreSQL keeps for a prepared statement after a few executions. Each
   * number of keys is its own statement text; the driver caches the prepared ones per
   * connection.
   */
  @Override
  protected String selectKeysForWrite(int written, int readOnly) {
    // locking clauses are not allowed on the arms of a UNION, but are inside a WITH
    String columns = "SELECT k, v, version, mod_revision FROM " + quotedTable + " WHERE k IN (";
    List<String> ctes = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    if (written > 0) {
      ctes.add("written AS (" + columns + placeholders(written) + ") FOR UPDATE)");
      parts.add("SELECT * FROM written");
    }
    if (readOnly > 0) {
      ctes.add("read_only AS (" + columns + placeholders(readOnly) + ") FOR SHARE)");
      parts.add("SELECT * FROM read_only");
    }
    return "WITH " + String.join(", ", ctes) + " " + String.join(" UNION ALL ", parts);
  }

  /** The sequence's last value, 0 before its first {@code nextval}. */
  @Override
  protected String revisionExpression() {
    return "(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + sequence + ")";
  }

  /**
   * One statement: the deletes, and the puts as one upsert under one new revision; without
   * puts, the deletes and a read of the revision when asked.
   */
  @Override
  protected String write(int deletes, int puts, boolean readRevision) {
    String delete = "DELETE FROM " + quotedTable + " WHERE k IN (" + placeholders(deletes) + ")";
    if (puts == 0) {
      List<String> statements = new ArrayList<>();
      if (deletes > 0) {
        statements.add(delete);
      }
      if (readRevision) {
        statements.add("SELECT " + revisionExpression());
      }
      return String.join("; ", statements);
    }
    StringBuilder sql = new StringBuilder("WITH revision AS (SELECT nextval('" + sequence
        + "') AS r), ");
    if (deletes > 0) {
      sql.append("removed AS (").append(delete).append("), ");
    }
    sql.append("written AS (INSERT INTO ").append(quotedTable)
        .append(" (k, v, version, mod_revision) SELECT x.k, x.v, x.version, revision.r")
        .append(" FROM revision, (VALUES ");
    for (int i = 0; i < puts; i++) {
      sql.append(i == 0 ? "(?::bytea, ?::bytea, ?::bigint)" : ", (?, ?, ?)");
    }
    sql.append(") AS x(k, v, version) ON CONFLICT (k) DO UPDATE SET v = excluded.v,")
        .append(" version = excluded.version, mod_revision = excluded.mod_revision)")
        .append(" SELECT r FROM revision");
    return sql.toString();
  }

  /**
   * A put of a key that exists: one statement in autocommit mode, one round trip. It locks the
   * row ({@code FOR UPDATE}, which waits for a concurrent writer and then reads its committed
   * row), and updates it with the next version and a new revision, returning the locked row as
   * the previous value: exact, since nobody can change the row in between.
   *
   * <p>A key that does not exist is created by a transaction of one put instead, which takes
   * the key's advisory lock (see {@link #lockMissingKeys}).
   */
  @Override
  protected Optional<KeyValue> putOne(byte[] key, byte[] value) {
    try (Connection connection = pool.getConnection();
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

  /**
   * One statement: the creation lock shared when a key may be created, then each key's
   * advisory lock, exclusive for {@code writable} and shared for {@code readOnly}, in key order
   * (the order every transaction takes them in, so that two do not deadlock on them), each
   * waited for until granted.
   */
  @Override
  protected boolean lockMissingKeys(Connection connection, List<byte[]> writable,
      List<byte[]> readOnly) throws SQLException {
    TreeMap<byte[], Boolean> exclusive = new TreeMap<>(Bytes.ORDER);
    writable.forEach(key -> exclusive.put(key, true));
    readOnly.forEach(key -> exclusive.put(key, false));
    List<String> locks = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    if (!writable.isEmpty()) {
      locks.add("pg_advisory_xact_lock_shared(?, ?)");
      ids.add(CREATION_LOCK);
    }
    exclusive.forEach((key, writes) -> {
      locks.add(writes ? "pg_advisory_xact_lock(?, ?)" : "pg_advisory_xact_lock_shared(?, ?)");
      ids.add(Arrays.hashCode(key));
    });
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT " + String.join(", ", locks))) {
      int index = 1;
      for (int id : ids) {
        statement.setInt(index++, lockClass);
        statement.setInt(index++, id);
      }
      statement.executeQuery().close();
    }
    return true;
  }

  @Override
  protected String lockKeyCreation() {
    return "SELECT pg_advisory_xact_lock(" + lockClass + ", " + CREATION_LOCK + ")";
  }

  /** A double-quoted identifier, as GreptimeDB writes the table's name. */
  static String quote(String identifier) {
    return "\"" + identifier + "\"";
  }
}
