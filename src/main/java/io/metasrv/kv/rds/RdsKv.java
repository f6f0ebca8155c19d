package io.metasrv.kv.rds;

import com.zaxxer.hikari.HikariDataSource;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.CompareAndPutResponse;
import io.metasrv.kv.DeleteRangeResponse;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvFutures;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.RangeResponse;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.TxnOpResponse;
import io.metasrv.kv.TxnResponse;
import io.metasrv.kv.Compare;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The storage contract over a SQL table {@code (k, v, version, mod_revision)}, the meta table
 * GreptimeDB keeps its metadata in ({@code k}, {@code v}) with two columns of ours for etcd's
 * per-key bookkeeping; {@link PostgresKv} and {@link MysqlKv} supply the SQL.
 *
 * <h2>How a transaction runs</h2>
 *
 * <p>Reads, and transactions that write nothing, are one statement on a connection in autocommit
 * mode: one statement reads one consistent snapshot on both databases, at any isolation level,
 * so they run on connections of the subclass's choosing ({@code statements}, which may be the
 * pool transactions use).
 *
 * <p>A transaction that may write runs as one database transaction: it reads every key it
 * compares or touches and locks the rows it finds ({@link #selectKeysForWrite}), has the keys
 * it found missing locked too where the locking read did not ({@link #lockMissingKeys}, then
 * reads those again), evaluates the compares and runs the chosen branch here against what it
 * read, then writes the net result ({@link #write}) and commits. Why this is atomic against
 * concurrent writers at its isolation level, each subclass states; a transaction that the
 * database aborts for conflicting with a concurrent one (serialization failure, deadlock) is run
 * again from the start, at most {@value #MAX_ATTEMPTS} times, after a short random pause.
 *
 * <p>Round trips are what a transaction costs most on a database nearby, so the begin travels
 * with the locking read and the commit with the write ({@link Transaction}): a transaction
 * whose keys all exist takes two round trips, as many as its reading and its writing take.
 *
 * <p>Keys are compared as bytes ({@code bytea} and {@code VARBINARY} compare bytewise, unsigned),
 * and ranges are always written as {@code k >= ? AND k < ?}: never as {@code LIKE}, whose
 * {@code %} and {@code _} would match any key byte (GreptimeDB's prefix query does this).
 *
 * <p>Revisions: every transaction that puts takes one new number from a counter of the store's
 * (in {@link #write}), and writes it as the {@code mod_revision} of every key it puts. A
 * key's revisions only grow, since its next writer waits for this one's commit; two transactions
 * on different keys may commit in the opposite order of their numbers. Deletes take none.
 *
 * <p>Asynchronous forms run the synchronous operation on a thread of this store's ({@code
 * metasrv-<name>-kv-N}), as many as the pool has connections.
 */
public abstract sealed class RdsKv implements KvBackend permits PostgresKv, MysqlKv {
  /** How many times a transaction is run when the database keeps aborting it for conflicts. */
  static final int MAX_ATTEMPTS = 10;
  /** The {@code mod_revision} of a value the running transaction put, known once it is written. */
  private static final long PENDING = -1;

  protected final RdsEndpoint endpoint;
  protected final String table;
  private final String name;
  private final KvLimits limits;
  /** Connections for transactions that may write, at the subclass's isolation level. */
  private final HikariDataSource transactions;
  /** Connections for single statements in autocommit mode. */
  private final HikariDataSource statements;
  private final ExecutorService async;

  RdsKv(String name, RdsKvConfig config, KvLimits limits, HikariDataSource transactions,
      HikariDataSource statements) {
    this.name = name;
    this.endpoint = config.endpoint();
    this.table = config.tableName();
    this.limits = limits;
    this.transactions = transactions;
    this.statements = statements;
    AtomicInteger threads = new AtomicInteger();
    this.async = Executors.newFixedThreadPool(config.poolSize(), runnable -> {
      Thread thread = new Thread(runnable, "metasrv-" + name + "-kv-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  // ---- what each database says differently

  /** The meta table's name as written in statements. */
  protected abstract String quotedTable();

  /**
   * A statement reading the rows of the keys a transaction that will write names, locking them
   * so that what it decides holds until it commits: {@code written} keys (those its operations
   * may write) exclusively, {@code readOnly} ones (those it only compares or gets) shared, so
   * that writes guarded by the same key (the leader epoch) do not queue behind each other.
   * Parameters: the written keys, then the read-only ones, each list sorted; columns {@code k,
   * v, version, mod_revision}.
   */
  protected abstract String selectKeysForWrite(int written, int readOnly);

  /**
   * A statement reading the rows of {@code keys} keys (the parameters) and, in one more row
   * whose {@code k} is null, the store's revision in the {@code mod_revision} column: one
   * statement, one snapshot.
   */
  private String selectKeysAndRevision(int keys) {
    String rows = keys == 0 ? ""
        : "SELECT k, v, version, mod_revision FROM " + quotedTable() + " WHERE k IN ("
            + placeholders(keys) + ") UNION ALL ";
    return rows + "SELECT NULL, NULL, NULL, " + revisionExpression();
  }

  /** A scalar subquery: the newest revision handed out, 0 before the first. */
  protected abstract String revisionExpression();

  /**
   * The statements, separated by {@code ;}, that write the net result of a transaction: {@code
   * deletes} keys deleted and {@code puts} keys put, disjoint, the puts under one new revision.
   * Parameters: the deleted keys, then key, value and version of each put. The first result set
   * they return holds in its first column the new revision when there are puts, otherwise the
   * store's revision when {@code readRevision}; without either they return none, and are empty
   * when there is nothing to write.
   */
  protected abstract String write(int deletes, int puts, boolean readRevision);

  /** The clause a range read in a writing transaction ends with to lock what it read. */
  protected abstract String lockingClause();

  /**
   * Locks keys that a writing transaction found missing, so that nobody creates them before it
   * commits; returns whether it did, in which case the transaction reads them again (one may
   * have been created just before the lock). {@code writable} are keys the transaction may
   * create, {@code readOnly} keys it only compares or gets; both sorted, disjoint, not both
   * empty. A store whose locking reads already lock missing keys returns false.
   */
  protected abstract boolean lockMissingKeys(Connection connection, List<byte[]> writable,
      List<byte[]> readOnly) throws SQLException;

  /**
   * A statement to run before a range is deleted that keeps keys from being created until the
   * deleting transaction commits; empty when the store's locking reads lock the gaps between
   * rows themselves.
   */
  protected abstract String lockKeyCreation();

  // ---- KvBackend

  @Override
  public String name() {
    return name;
  }

  @Override
  public KvLimits limits() {
    return limits;
  }

  @Override
  public RangeResponse range(RangeRequest request) {
    KvLimits.checkRange(request);
    if (selectsNothing(request)) {
      return new RangeResponse(List.of(), false);
    }
    String columns = request.keysOnly() ? "k, version, mod_revision" : "k, v, version, mod_revision";
    String sql = "SELECT " + columns + " FROM " + quotedTable() + " WHERE " + predicate(request)
        + " ORDER BY k LIMIT ?";
    long limit = request.limit() == 0 ? Long.MAX_VALUE : request.limit();
    return autocommit("range", connection -> {
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        int index = bindRange(statement, 1, request);
        statement.setLong(index, limit == Long.MAX_VALUE ? limit : limit + 1);
        List<KeyValue> kvs = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            kvs.add(request.keysOnly()
                ? new KeyValue(rows.getBytes(1), Bytes.EMPTY, rows.getLong(2), rows.getLong(3))
                : row(rows));
          }
        }
        boolean more = kvs.size() > limit;
        return new RangeResponse(more ? kvs.subList(0, (int) limit) : kvs, more);
      }
    });
  }

  @Override
  public Optional<KeyValue> get(byte[] key) {
    KvLimits.checkKey(key);
    String sql = "SELECT k, v, version, mod_revision FROM " + quotedTable() + " WHERE k = ?";
    return autocommit("get", connection -> {
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        statement.setBytes(1, key);
        try (ResultSet rows = statement.executeQuery()) {
          return rows.next() ? Optional.of(row(rows)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public Optional<KeyValue> put(byte[] key, byte[] value) {
    limits.checkPut(key, value);
    return putOne(key, value);
  }

  /**
   * Puts one key (already checked against the limits) and returns the value it replaced: the
   * most frequent write, which a store may do in fewer round trips than a transaction of one put.
   */
  protected Optional<KeyValue> putOne(byte[] key, byte[] value) {
    TxnResponse response = transaction("put", Txn.of(List.of(TxnOp.put(key, value))), false);
    return ((TxnOpResponse.Put) response.responses().get(0)).prev();
  }

  @Override
  public List<KeyValue> batchGet(List<byte[]> keys) {
    KvLimits.checkKeys(keys);
    if (keys.isEmpty()) {
      return List.of();
    }
    List<byte[]> distinct = distinctSorted(keys);
    return autocommit("batch get", connection -> {
      TreeMap<byte[], KeyValue> found = new TreeMap<>(Bytes.ORDER);
      readKeysAndRevision(connection, distinct, found);
      return List.copyOf(found.values());
    });
  }

  @Override
  public List<KeyValue> batchPut(List<KeyValue> kvs, boolean prevKv) {
    limits.checkBatchPut(kvs);
    List<KeyValue> previous = new ArrayList<>();
    for (List<KeyValue> chunk : chunks(kvs)) {
      List<TxnOp> puts = chunk.stream().map(kv -> TxnOp.put(kv.key(), kv.value())).toList();
      for (TxnOpResponse response : transaction("batch put", Txn.of(puts), false).responses()) {
        ((TxnOpResponse.Put) response).prev().filter(prev -> prevKv).ifPresent(previous::add);
      }
    }
    return previous;
  }

  @Override
  public List<KeyValue> batchDelete(List<byte[]> keys, boolean prevKv) {
    KvLimits.checkKeys(keys);
    List<KeyValue> deleted = new ArrayList<>();
    for (List<byte[]> chunk : chunks(keys)) {
      List<TxnOp> deletes = chunk.stream().map(TxnOp::delete).toList();
      for (TxnOpResponse response : transaction("batch delete", Txn.of(deletes), false)
          .responses()) {
        ((TxnOpResponse.Delete) response).prev().filter(prev -> prevKv).ifPresent(deleted::add);
      }
    }
    return deleted;
  }

  @Override
  public DeleteRangeResponse deleteRange(RangeRequest request, boolean prevKv) {
    KvLimits.checkRange(request);
    if (selectsNothing(request)) {
      return new DeleteRangeResponse(0, List.of());
    }
    String where = " WHERE " + predicate(request);
    String select = "SELECT k, v, version, mod_revision FROM " + quotedTable() + where
        + " ORDER BY k" + lockingClause();
    String delete = "DELETE FROM " + quotedTable() + where;
    return inTransaction("delete range", transaction -> {
      if (!lockKeyCreation().isEmpty()) {
        try (PreparedStatement statement = transaction.prepare(lockKeyCreation())) {
          transaction.execute(statement);
        }
      }
      List<KeyValue> deleted = new ArrayList<>();
      if (prevKv) {
        try (PreparedStatement statement = transaction.prepare(select)) {
          bindRange(statement, 1, request);
          try (ResultSet rows = transaction.query(statement)) {
            while (rows.next()) {
              deleted.add(row(rows));
            }
          }
        }
      }
      try (PreparedStatement statement = transaction.prepareLast(delete)) {
        bindRange(statement, 1, request);
        return new DeleteRangeResponse(transaction.update(statement), deleted);
      }
    });
  }

  @Override
  public CompareAndPutResponse compareAndPut(byte[] key, byte[] expect, byte[] value) {
    limits.checkPut(key, value);
    Compare compare = expect == null ? Compare.absent(key) : Compare.valueEquals(key, expect);
    TxnResponse response = transaction("compare and put", Txn.when(List.of(compare),
        List.of(TxnOp.put(key, value)), List.of(TxnOp.get(key))), false);
    TxnOpResponse first = response.responses().get(0);
    return response.succeeded()
        ? new CompareAndPutResponse(true, ((TxnOpResponse.Put) first).prev())
        : new CompareAndPutResponse(false, ((TxnOpResponse.Get) first).kv());
  }

  @Override
  public TxnResponse txn(Txn txn) {
    limits.checkTxn(txn);
    return transaction("txn", txn, true);
  }

  // ---- asynchronous forms: the synchronous call on a thread of this store's

  @Override
  public CompletableFuture<RangeResponse> rangeAsync(RangeRequest request) {
    return submit(() -> range(request));
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
    return submit(() -> get(key));
  }

  @Override
  public CompletableFuture<Optional<KeyValue>> putAsync(byte[] key, byte[] value) {
    return KvFutures.start(() -> {
      limits.checkPut(key, value);
      byte[] ownKey = key.clone();
      byte[] ownValue = value.clone();
      return submit(() -> put(ownKey, ownValue));
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchGetAsync(List<byte[]> keys) {
    return submit(() -> batchGet(keys));
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchPutAsync(List<KeyValue> kvs, boolean prevKv) {
    return KvFutures.start(() -> {
      limits.checkBatchPut(kvs);
      List<KeyValue> own = kvs.stream()
          .map(kv -> KeyValue.of(kv.key().clone(), kv.value().clone())).toList();
      return submit(() -> batchPut(own, prevKv));
    });
  }

  @Override
  public CompletableFuture<List<KeyValue>> batchDeleteAsync(List<byte[]> keys, boolean prevKv) {
    return submit(() -> batchDelete(keys, prevKv));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRangeAsync(RangeRequest request,
      boolean prevKv) {
    return submit(() -> deleteRange(request, prevKv));
  }

  @Override
  public CompletableFuture<CompareAndPutResponse> compareAndPutAsync(byte[] key, byte[] expect,
      byte[] value) {
    return KvFutures.start(() -> {
      limits.checkPut(key, value);
      byte[] ownValue = value.clone();
      return submit(() -> compareAndPut(key, expect, ownValue));
    });
  }

  @Override
  public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
    return KvFutures.start(() -> {
      limits.checkTxn(txn);
      return submit(() -> txn(txn));
    });
  }

  @Override
  public void close() {
    async.shutdown();
    statements.close();
    transactions.close(); // closing a pool twice, when both are one, does nothing
  }

  // ---- transactions

  /**
   * Runs {@code txn} (already checked against the limits); {@code wantRevision} asks for the
   * store's revision in the response even when the transaction puts nothing (one more read).
   */
  private TxnResponse transaction(String operation, Txn txn, boolean wantRevision) {
    List<byte[]> keys = distinctSorted(keysOf(txn));
    if (!writes(txn)) {
      return autocommit(operation, connection -> {
        TreeMap<byte[], KeyValue> state = new TreeMap<>(Bytes.ORDER);
        long revision = readKeysAndRevision(connection, keys, state);
        return decide(txn, state).withRevision(revision).response();
      });
    }
    List<byte[]> written = distinctSorted(writtenKeysOf(txn));
    List<byte[]> readOnly = keys.stream().filter(key -> !contains(written, key)).toList();
    return inTransaction(operation, transaction -> {
      TreeMap<byte[], KeyValue> state = new TreeMap<>(Bytes.ORDER);
      readForWrite(transaction, written, readOnly, state);
      List<byte[]> missingWritten = missing(written, state);
      List<byte[]> missingReadOnly = missing(readOnly, state);
      if ((!missingWritten.isEmpty() || !missingReadOnly.isEmpty())
          && lockMissingKeys(transaction.connection(), missingWritten, missingReadOnly)) {
        readForWrite(transaction, missingWritten, missingReadOnly, state);
      }
      Outcome outcome = decide(txn, state);
      long revision = writeAndCommit(transaction, outcome.puts.values(), outcome.deletes,
          wantRevision);
      return outcome.withRevision(revision).response();
    });
  }

  /** Reads and locks the rows of {@code written} and {@code readOnly} into {@code state}. */
  private void readForWrite(Transaction transaction, List<byte[]> written,
      List<byte[]> readOnly, TreeMap<byte[], KeyValue> state) throws SQLException {
    try (PreparedStatement statement = transaction.prepare(
        selectKeysForWrite(written.size(), readOnly.size()))) {
      bindAll(statement, bindAll(statement, 1, written), readOnly);
      try (ResultSet rows = transaction.query(statement)) {
        while (rows.next()) {
          KeyValue kv = row(rows);
          state.put(kv.key(), kv);
        }
      }
    }
  }

  /**
   * Writes {@code puts} and {@code deletes} and commits, in one round trip; returns the new
   * revision with puts, otherwise the store's when {@code wantRevision}, otherwise 0.
   */
  private long writeAndCommit(Transaction transaction, Collection<KeyValue> puts,
      Collection<byte[]> deletes, boolean wantRevision) throws SQLException {
    try (PreparedStatement statement = transaction.prepareLast(
        write(deletes.size(), puts.size(), wantRevision))) {
      int index = bindAll(statement, 1, List.copyOf(deletes));
      for (KeyValue kv : puts) {
        statement.setBytes(index++, kv.key());
        statement.setBytes(index++, kv.value());
        statement.setLong(index++, kv.version());
      }
      if (puts.isEmpty() && !wantRevision) {
        transaction.execute(statement);
        return 0;
      }
      try (ResultSet rows = transaction.query(statement)) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  private static List<byte[]> missing(List<byte[]> keys, TreeMap<byte[], KeyValue> state) {
    return keys.stream().filter(key -> !state.containsKey(key)).toList();
  }

  /**
   * Evaluates the compares against {@code state} (every key the transaction names that exists)
   * and runs the chosen branch on it, recording the responses and the net writes.
   */
  private static Outcome decide(Txn txn, TreeMap<byte[], KeyValue> state) {
    boolean succeeded = txn.compares().stream().allMatch(c -> c.holds(state.get(c.key())));
    Outcome outcome = new Outcome(succeeded);
    for (TxnOp op : succeeded ? txn.success() : txn.failure()) {
      KeyValue current = state.get(op.key());
      if (op instanceof TxnOp.Put put) {
        KeyValue written = new KeyValue(put.key().clone(), put.value().clone(),
            current == null ? 1 : current.version() + 1, PENDING);
        state.put(written.key(), written);
        outcome.puts.put(written.key(), written);
        outcome.responses.add(new TxnOpResponse.Put(Optional.ofNullable(current)));
      } else if (op instanceof TxnOp.Get) {
        outcome.responses.add(new TxnOpResponse.Get(Optional.ofNullable(current)));
      } else {
        if (current != null) {
          state.remove(op.key());
          outcome.deletes.add(op.key());
        }
        outcome.responses.add(new TxnOpResponse.Delete(Optional.ofNullable(current)));
      }
    }
    return outcome;
  }

  /** What a transaction decided: its branch's responses and net writes. */
  private static final class Outcome {
    final boolean succeeded;
    final List<TxnOpResponse> responses = new ArrayList<>();
    final TreeMap<byte[], KeyValue> puts = new TreeMap<>(Bytes.ORDER);
    final TreeSet<byte[]> deletes = new TreeSet<>(Bytes.ORDER);
    long revision;

    Outcome(boolean succeeded) {
      this.succeeded = succeeded;
    }

    Outcome withRevision(long storeRevision) {
      this.revision = storeRevision;
      return this;
    }

    /** The response, with the revision filled into the values this transaction put and read. */
    TxnResponse response() {
      List<TxnOpResponse> filled = responses.stream().map(response ->
          response instanceof TxnOpResponse.Get get && get.kv().isPresent()
              && get.kv().get().modRevision() == PENDING
              ? new TxnOpResponse.Get(get.kv().map(kv ->
                  new KeyValue(kv.key(), kv.value(), kv.version(), revision)))
              : response).toList();
      return new TxnResponse(succeeded, filled, revision);
    }
  }

  /** Reads {@code keys} into {@code found} and returns the store's revision, in one statement. */
  private long readKeysAndRevision(Connection connection, List<byte[]> keys,
      TreeMap<byte[], KeyValue> found) throws SQLException {
    long revision = 0;
    try (PreparedStatement statement = connection.prepareStatement(
        selectKeysAndRevision(keys.size()))) {
      bindAll(statement, 1, keys);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          if (rows.getBytes(1) == null) {
            revision = rows.getLong(4);
          } else {
            KeyValue kv = row(rows);
            found.put(kv.key(), kv);
          }
        }
      }
    }
    return revision;
  }

  // ---- running statements

  /** Work on a connection that returns a result. */
  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  /** Runs read-only work, one statement, on a connection in autocommit mode. */
  protected final <T> T autocommit(String operation, SqlWork<T> work) {
    try (Connection connection = statements.getConnection()) {
      return work.run(connection);
    } catch (SQLException e) {
      throw SqlFailures.toKvException(endpoint, operation, e);
    }
  }

  /** Work in a database transaction that returns a result. */
  @FunctionalInterface
  interface TransactionWork<T> {
    T run(Transaction transaction) throws SQLException;
  }

  /**
   * Runs {@code work} in one database transaction, which commits with its last statement (or
   * here, when the work prepared none), and rolls back on any failure; runs it again when the
   * database aborts it for a conflict, at most {@value #MAX_ATTEMPTS} times in all.
   */
  protected final <T> T inTransaction(String operation, TransactionWork<T> work) {
    return retryingConflicts(operation, connection -> {
      Transaction transaction = new Transaction(connection);
      try {
        T result = work.run(transaction);
        transaction.commitIfOpen();
        return result;
      } finally {
        if (transaction.open()) {
          rollback(connection);
        }
      }
    });
  }

  /**
   * Runs {@code work} on a pooled connection, again when the database aborts it for a conflict,
   * at most {@value #MAX_ATTEMPTS} times in all.
   */
  private <T> T retryingConflicts(String operation, SqlWork<T> work) {
    SQLException conflict = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try (Connection connection = transactions.getConnection()) {
        return work.run(connection);
      } catch (SQLException e) {
        if (!SqlFailures.isConflict(e)) {
          throw SqlFailures.toKvException(endpoint, operation, e);
        }
        conflict = e;
      }
      pause(attempt);
    }
    throw new KvException(endpoint.flavor().displayName() + " at " + endpoint.describe() + ": "
        + operation + " gave up after " + MAX_ATTEMPTS + " attempts, each aborted by the"
        + " database for conflicting with concurrent transactions; nothing was written (last: "
        + SqlFailures.message(conflict) + ")", conflict);
  }

  /**
   * Ends a transaction that failed. When even that fails, the connection leaves the pool, so
   * that no connection goes back with a transaction (and its locks) still open; closing it ends
   * the transaction on the server.
   */
  private void rollback(Connection connection) {
    try (Statement statement = connection.createStatement()) {
      statement.execute("ROLLBACK");
    } catch (SQLException e) {
      transactions.evictConnection(connection);
    }
  }

  /**
   * A database transaction on a pooled connection that stays in autocommit mode: the first
   * statement prepared here carries {@code START TRANSACTION} in front of it, and the last
   * ({@link #prepareLast}) {@code COMMIT} after it, so that neither costs a round trip of its
   * own, nor does switching autocommit off and back on (MariaDB Connector/J sends a statement
   * for each switch, and the pool switches back when the connection returns). The transaction
   * runs at the isolation level of the connection's session, which the pool sets.
   *
   * <p>Statements are prepared with several SQL statements in one: PostgreSQL's driver sends
   * them together and ends at the first failure (the rest are skipped up to one sync point);
   * MySQL runs them as one multi-statement query and stops at the first failure. Either way a
   * failed transaction is still open, and {@link #inTransaction} rolls it back.
   */
  protected static final class Transaction {
    private final Connection connection;
    /** The statement that carries the begin, until it is executed. */
    private PreparedStatement beginning;
    /** The statement that carries the commit. */
    private PreparedStatement committing;
    private boolean begun;
    private boolean committed;

    private Transaction(Connection connection) {
      this.connection = connection;
    }

    Connection connection() {
      return connection;
    }

    /** A statement of this transaction; the first one begins it. */
    PreparedStatement prepare(String sql) throws SQLException {
      return prepare(sql, false);
    }

    /** The last statement of this transaction, which commits it; {@code sql} may be empty. */
    PreparedStatement prepareLast(String sql) throws SQLException {
      return prepare(sql, true);
    }

    private PreparedStatement prepare(String sql, boolean last) throws SQLException {
      List<String> parts = new ArrayList<>();
      boolean begins = !begun && beginning == null;
      if (begins) {
        parts.add("START TRANSACTION");
      }
      if (!sql.isEmpty()) {
        parts.add(sql);
      }
      if (last) {
        parts.add("COMMIT");
      }
      PreparedStatement statement = connection.prepareStatement(String.join("; ", parts));
      if (begins) {
        beginning = statement;
      }
      if (last) {
        committing = statement;
      }
      return statement;
    }

    /**
     * Runs a statement prepared here; true when its first result, after the begin's, is a
     * result set, as {@link PreparedStatement#execute()} says.
     */
    boolean execute(PreparedStatement statement) throws SQLException {
      boolean beginsHere = statement == beginning;
      if (beginsHere) {
        beginning = null;
        begun = true;
      }
      boolean resultSet = statement.execute();
      if (beginsHere) {
        resultSet = statement.getMoreResults();
      }
      if (statement == committing) {
        committed = true;
      }
      return resultSet;
    }

    /** Runs a statement prepared here and returns its first result set. */
    ResultSet query(PreparedStatement statement) throws SQLException {
      boolean resultSet = execute(statement);
      while (!resultSet && statement.getUpdateCount() != -1) {
        resultSet = statement.getMoreResults();
      }
      if (!resultSet) {
        throw new SQLException("the statement returned no rows");
      }
      return statement.getResultSet();
    }

    /** Runs a statement prepared here and returns its first update count. */
    int update(PreparedStatement statement) throws SQLException {
      execute(statement);
      return statement.getUpdateCount();
    }

    void commitIfOpen() throws SQLException {
      if (open()) {
        try (PreparedStatement statement = prepareLast("")) {
          execute(statement);
        }
      }
    }

    boolean open() {
      return begun && !committed;
    }
  }

  /** A random pause that grows with the attempt, so that conflicting writers spread out. */
  private static void pause(int attempt) {
    long boundMicros = Math.min(50_000, 500L << Math.min(attempt, 7));
    try {
      long micros = ThreadLocalRandom.current().nextLong(boundMicros / 2, boundMicros);
      Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvException("interrupted between attempts of a transaction", e);
    }
  }

  private <T> CompletableFuture<T> submit(Supplier<T> call) {
    return KvFutures.start(() -> CompletableFuture.supplyAsync(call, async));
  }

  // ---- helpers

  /** {@code k, v, version, mod_revision} of the current row. */
  static KeyValue row(ResultSet rows) throws SQLException {
    byte[] value = rows.getBytes(2);
    return new KeyValue(rows.getBytes(1), value == null ? Bytes.EMPTY : value, rows.getLong(3),
        rows.getLong(4));
  }

  /** {@code count} parameters, {@code ?, ?, ?}: a key list for {@code k IN (...)}. */
  static String placeholders(int count) {
    return String.join(", ", java.util.Collections.nCopies(count, "?"));
  }

  /** Binds {@code keys} from parameter {@code first} on; returns the next parameter index. */
  static int bindAll(PreparedStatement statement, int first, List<byte[]> keys)
      throws SQLException {
    for (int i = 0; i < keys.size(); i++) {
      statement.setBytes(first + i, keys.get(i));
    }
    return first + keys.size();
  }

  private static boolean selectsNothing(RangeRequest request) {
    return !request.isSingleKey() && !request.isOpenEnded()
        && Bytes.ORDER.compare(request.key(), request.rangeEnd()) >= 0;
  }

  /** The condition selecting the request's keys: bytewise bounds, never a pattern. */
  private static String predicate(RangeRequest request) {
    if (request.isSingleKey()) {
      return "k = ?";
    }
    return request.isOpenEnded() ? "k >= ?" : "k >= ? AND k < ?";
  }

  /** Binds the parameters of {@link #predicate}; returns the next parameter index. */
  private static int bindRange(PreparedStatement statement, int index, RangeRequest request)
      throws SQLException {
    statement.setBytes(index++, request.key());
    if (!request.isSingleKey() && !request.isOpenEnded()) {
      statement.setBytes(index++, request.rangeEnd());
    }
    return index;
  }

  private static boolean writes(Txn txn) {
    return txn.success().stream().anyMatch(op -> !(op instanceof TxnOp.Get))
        || txn.failure().stream().anyMatch(op -> !(op instanceof TxnOp.Get));
  }

  /** The keys of the operations that write, in either branch. */
  private static List<byte[]> writtenKeysOf(Txn txn) {
    List<byte[]> keys = new ArrayList<>();
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      branch.stream().filter(op -> !(op instanceof TxnOp.Get)).forEach(op -> keys.add(op.key()));
    }
    return keys;
  }

  private static boolean contains(List<byte[]> sortedKeys, byte[] key) {
    return java.util.Collections.binarySearch(sortedKeys, key, Bytes.ORDER) >= 0;
  }

  private static List<byte[]> keysOf(Txn txn) {
    List<byte[]> keys = new ArrayList<>();
    txn.compares().forEach(compare -> keys.add(compare.key()));
    txn.success().forEach(op -> keys.add(op.key()));
    txn.failure().forEach(op -> keys.add(op.key()));
    return keys;
  }

  /** The keys without repeats, in key order: the order in which rows are locked. */
  private static List<byte[]> distinctSorted(List<byte[]> keys) {
    TreeSet<byte[]> sorted = new TreeSet<>(Bytes.ORDER);
    sorted.addAll(keys);
    return List.copyOf(sorted);
  }

  private <T> List<List<T>> chunks(List<T> items) {
    int size = limits.maxTxnOps();
    List<List<T>> chunks = new ArrayList<>();
    for (int i = 0; i < items.size(); i += size) {
      chunks.add(items.subList(i, Math.min(items.size(), i + size)));
    }
    return chunks;
  }
}
