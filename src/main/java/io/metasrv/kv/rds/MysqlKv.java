package io.metasrv.kv.rds;

import com.zaxxer.hikari.HikariDataSource;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store in a MySQL (or MariaDB) table, GreptimeDB's {@code `<meta_table_name>`(k
 * VARBINARY(3072) PRIMARY KEY, v BLOB)}, created when missing, with our columns {@code version}
 * and {@code mod_revision} added when missing, and the revision counter in the table {@code
 * `<meta_table_name>_revision`}, whose AUTO_INCREMENT hands out revisions without holding a lock
 * until commit (old rows are deleted as it goes).
 *
 * <p><b>Isolation: REPEATABLE READ with locking reads.</b> A transaction that may write reads its
 * keys with locking reads, {@code SELECT ... FOR UPDATE} for the keys it may write and {@code
 * LOCK IN SHARE MODE} for those it only compares or gets: InnoDB then reads the latest committed
 * rows, not a snapshot, and holds next-key locks on them, and on the gaps where missing keys
 * would go, until commit, so nothing it decided on can change before it writes (no lost update,
 * no phantom "absent" key). Shared locks let the leader's writes, which all compare the same
 * epoch key, run side by side. Keys are locked in key order, which keeps two transactions from
 * deadlocking on each other's keys; the deadlocks gap locks can still cause (SQLState 40001),
 * and lock wait timeouts, are run again (see {@link RdsKv}). SERIALIZABLE would add nothing but
 * shared locks on plain reads; READ COMMITTED would drop the gap locks. Reads are single
 * statements in autocommit mode: a consistent snapshot, no locks.
 *
 * <p>The pool's connections allow several statements in one query ({@code allowMultiQueries}):
 * a transaction's begin travels with its locking read, its writes with its commit, and a put is
 * one round trip (see {@link #putOne}). Every parameter is bound, never spliced into the text,
 * and the table's name is a plain identifier ({@link RdsKvConfig}).
 *
 * <p>The column types are GreptimeDB's, and so are their limits: keys of at most 3072 bytes, and
 * values of at most 65535 bytes ({@code BLOB}); {@link #connect} lowers {@code
 * max_metadata_value_size} to that, so a larger value is refused before anything is written.
 */
public final class MysqlKv extends RdsKv {
  /** The largest value a {@code BLOB} column holds. */
  public static final long MAX_BLOB_BYTES = 65_535;
  /** Revision rows are deleted every this many revisions a store takes; the newest stays. */
  private static final long REVISION_CLEANUP_INTERVAL = 1024;
  /** MySQL's {@code ER_DUP_FIELDNAME}. */
  private static final int DUPLICATE_COLUMN = 1060;

  private final String quotedTable;
  private final String revisionTable;
  /** Revisions this store took, counting towards the next cleanup of the counter's rows. */
  private final AtomicLong revisionsTaken = new AtomicLong();

  private MysqlKv(RdsKvConfig config, KvLimits limits) {
    this(config, limits, RdsConnections.pool(config, Connection.TRANSACTION_REPEATABLE_READ,
        "metasrv-mysql-kv", Map.of("allowMultiQueries", "true")));
  }

  /** One pool: a read at REPEATABLE READ in autocommit mode takes no locks either. */
  private MysqlKv(RdsKvConfig config, KvLimits limits, HikariDataSource pool) {
    super("mysql", config, limits, pool, pool);
    this.quotedTable = quote(config.tableName());
    this.revisionTable = quote(config.tableName() + "_revision");
  }

  /**
   * Connects (trying {@link RdsKvConfig#connectAttempts()} times), creates the meta table when
   * missing, and opens the pool; values are limited to what a {@code BLOB} holds.
   *
   * @throws io.metasrv.kv.KvUnavailableException naming the server when it cannot be reached
   * @throws io.metasrv.kv.KvException when it refuses the credentials or the table
   */
  public static MysqlKv connect(RdsKvConfig config, KvLimits limits) {
    RdsConnections.connectAndSetUp(config, connection -> createTable(connection,
        config.tableName()));
    long maxValueSize = limits.maxValueSize() == 0 ? MAX_BLOB_BYTES
        : Math.min(limits.maxValueSize(), MAX_BLOB_BYTES);
    return new MysqlKv(config, new KvLimits(limits.maxTxnOps(), maxValueSize));
  }

  /** GreptimeDB's table, then our two columns and the revision counter. */
  static void createTable(Connection connection, String table) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE IF NOT EXISTS " + quote(table)
          + "(k VARBINARY(3072) PRIMARY KEY, v BLOB)");
      Set<String> columns = new HashSet<>();
      try (PreparedStatement query = connection.prepareStatement("SELECT column_name FROM"
          + " information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?")) {
        query.setString(1, table);
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            columns.add(rows.getString(1).toLowerCase(Locale.ROOT));
          }
        }
      }
      // MySQL has no ADD COLUMN IF NOT EXISTS: add only what is missing
      if (!columns.contains("version")) {
        addColumn(statement, table, "version BIGINT NOT NULL DEFAULT 1");
      }
      if (!columns.contains("mod_revision")) {
        addColumn(statement, table, "mod_revision BIGINT NOT NULL DEFAULT 0");
      }
      statement.execute("CREATE TABLE IF NOT EXISTS " + quote(table + "_revision")
          + "(id BIGINT AUTO_INCREMENT PRIMARY KEY)");
    }
  }

  /** Adds a column; another node starting at the same time may have added it first. */
  private static void addColumn(Statement statement, String table, String column)
      throws SQLException {
    try {
      statement.execute("ALTER TABLE " + quote(table) + " ADD COLUMN " + column);
    } catch (SQLException e) {
      if (e.getErrorCode() != DUPLICATE_COLUMN) {
        throw e;
      }
    }
  }

  @Override
  protected String quotedTable() {
    return quotedTable;
  }

  @Override
  protected String selectKeysForWrite(int written, int readOnly) {
    String columns = "SELECT k, v, version, mod_revision FROM " + quotedTable + " WHERE k IN (";
    List<String> parts = new ArrayList<>();
    if (written > 0) {
      parts.add("(" + columns + placeholders(written) + ") ORDER BY k FOR UPDATE)");
    }
    if (readOnly > 0) {
      parts.add("(" + columns + placeholders(readOnly) + ") ORDER BY k LOCK IN SHARE MODE)");
    }
    return String.join(" UNION ALL ", parts);
  }

  /** The newest revision handed out, 0 before the first. */
  @Override
  protected String revisionExpression() {
    return "(SELECT COALESCE(MAX(id), 0) FROM " + revisionTable + ")";
  }

  /**
   * The deletes; with puts, a new revision from the counter's AUTO_INCREMENT, the puts as one
   * upsert that writes it ({@code LAST_INSERT_ID()}, which the upsert leaves alone: the meta
   * table has no AUTO_INCREMENT column), and a read of it; without puts, a read of the revision
   * when asked.
   */
  @Override
  protected String write(int deletes, int puts, boolean readRevision) {
    List<String> statements = new ArrayList<>();
    if (deletes > 0) {
      statements.add("DELETE FROM " + quotedTable + " WHERE k IN (" + placeholders(deletes) + ")");
    }
    if (puts > 0) {
      statements.addAll(takeRevision());
      StringBuilder upsert = new StringBuilder("INSERT INTO " + quotedTable
          + " (k, v, version, mod_revision) VALUES ");
      for (int i = 0; i < puts; i++) {
        upsert.append(i == 0 ? "" : ", ").append("(?, ?, ?, LAST_INSERT_ID())");
      }
      upsert.append(" ON DUPLICATE KEY UPDATE v = VALUES(v), version = VALUES(version),"
          + " mod_revision = VALUES(mod_revision)");
      statements.add(upsert.toString());
      statements.add("SELECT LAST_INSERT_ID()");
    } else if (readRevision) {
      statements.add("SELECT " + revisionExpression());
    }
    return String.join("; ", statements);
  }

  /**
   * The statements that take a new revision as {@code LAST_INSERT_ID()}; every {@value
   * #REVISION_CLEANUP_INTERVAL}th time, they also delete the counter's older rows.
   */
  private List<String> takeRevision() {
    String insert = "INSERT INTO " + revisionTable + " () VALUES ()";
    if (revisionsTaken.incrementAndGet() % REVISION_CLEANUP_INTERVAL != 0) {
      return List.of(insert);
    }
    return List.of(insert, "DELETE FROM " + revisionTable + " WHERE id < LAST_INSERT_ID()");
  }

  /**
   * A put in one round trip: one transaction of statements sent at once, which reads the key's
   * row with a locking read (the previous value: nobody can change the row, or create it where
   * it was missing, until this commits), takes a new revision and upserts the key with the next
   * version, counted from the locked row.
   */
  @Override
  protected Optional<KeyValue> putOne(byte[] key, byte[] value) {
    List<String> statements = new ArrayList<>();
    statements.add("SELECT k, v, version, mod_revision FROM " + quotedTable
        + " WHERE k = ? FOR UPDATE");
    statements.addAll(takeRevision());
    statements.add("INSERT INTO " + quotedTable + " (k, v, version, mod_revision)"
        + " VALUES (?, ?, 1, LAST_INSERT_ID()) ON DUPLICATE KEY UPDATE v = VALUES(v),"
        + " version = version + 1, mod_revision = VALUES(mod_revision)");
    String sql = String.join("; ", statements);
    return inTransaction("put", transaction -> {
      try (PreparedStatement statement = transaction.prepareLast(sql)) {
        statement.setBytes(1, key);
        statement.setBytes(2, key);
        statement.setBytes(3, value);
        try (ResultSet rows = transaction.query(statement)) {
          return rows.next() ? Optional.of(row(rows)) : Optional.empty();
        }
      }
    });
  }

  @Override
  protected String lockingClause() {
    return " FOR UPDATE";
  }

  /** Nothing to do: the locking reads' next-key locks already cover the gaps of missing keys. */
  @Override
  protected boolean lockMissingKeys(Connection connection, List<byte[]> writable,
      List<byte[]> readOnly) {
    return false;
  }

  /** Nothing to do: the range's locking read holds next-key locks on its gaps. */
  @Override
  protected String lockKeyCreation() {
    return "";
  }

  /** A backquoted identifier, as GreptimeDB writes the table's name. */
  static String quote(String identifier) {
    return "`" + identifier + "`";
  }
}
