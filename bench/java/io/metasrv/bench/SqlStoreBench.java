package io.metasrv.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.kv.rds.MysqlKv;
import io.metasrv.kv.rds.PostgresKv;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.SqlServers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of {@link PostgresKv} and {@link MysqlKv} against plain JDBC statements doing the
 * same work on the same server and table, in the same run, at 1 and 32 threads. Keys 32 B,
 * values 256 B, 1,000 keys; each side has its own pool of 32 connections. Beside them, for
 * scale, the same operations through {@link EtcdKv} on a fresh etcd started by the bench.
 *
 * <p>Every write writes a value no key holds yet (a counter in its first bytes): MySQL skips an
 * update that changes nothing, and would then skip the commit's log flush too, so writing the
 * same value again measures no write at all on the plain side.
 *
 * <p>The plain side is what a careful hand-written JDBC program would send for the same
 * guarantee, at the database's default isolation (READ COMMITTED on PostgreSQL, REPEATABLE READ
 * on MySQL):
 * <ul>
 *   <li>put returns the previous value: on PostgreSQL GreptimeDB's one-statement upsert with a
 *       {@code prev} CTE, in autocommit; on MySQL {@code SELECT ... FOR UPDATE} then the upsert,
 *       in a transaction;
 *   <li>get and range100 are one {@code SELECT}, whose rows' keys and values it reads (the
 *       store builds them into its answer);
 *   <li>txn is the shape of every write the leader makes (see {@code FencedKv}): put a key only
 *       while a guard key (the leader epoch) holds a given value, returning the key's previous
 *       value. In a transaction: one {@code SELECT} holding the guard with a shared lock and the
 *       key with an exclusive one, the compare, the upsert, commit.
 * </ul>
 * The store also keeps {@code version} and {@code mod_revision} (a new revision per write) and
 * runs its writes at its own isolation levels (see each store's class comment): that bookkeeping
 * is part of what the ratio prices. The unfenced put is measured against an unfenced plain put,
 * the fenced shape (txn) against a plain put guarded the same way.
 */
public final class SqlStoreBench {
  private static final int KEY_COUNT = 1_000;
  private static final int RANGE_SIZE = 100;
  private static final int KEY_BYTES = 32;
  private static final int VALUE_BYTES = 256;
  private static final int POOL_SIZE = 32;
  private static final byte[] GUARD_KEY = Bytes.utf8("bench/guard");
  private static final byte[] GUARD_VALUE = Bytes.utf8("epoch-7");
  private static final AtomicLong WRITES = new AtomicLong();

  /** A case's operation through a store: the SQL store measured, or EtcdKv beside it. */
  @FunctionalInterface
  private interface StoreOperation {
    Throughput.Operation on(KvBackend store);
  }

  private record Case(String name, int threads, Throughput.Operation plain,
      StoreOperation store) {}

  public static void main(String[] args) throws Exception {
    Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
    System.out.printf("%d s per side and case (two halves, each after %d ms warm-up); keys %d B,"
        + " values %d B, %d keys, pools of %d%n", measure.toSeconds(),
        Throughput.WARM_UP.toMillis(), KEY_BYTES, VALUE_BYTES, KEY_COUNT, POOL_SIZE);
    System.out.printf("%-10s %-10s %8s %14s %14s %8s %14s%n",
        "store", "operation", "threads", "JDBC ops/s", "store ops/s", "ratio", "EtcdKv ops/s");
    String only = args.length > 1 ? args[1] : "";
    try (EtcdProcess etcd = EtcdProcess.start();
        EtcdKv etcdKv = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint()), KvLimits.DEFAULT)) {
      if (!only.equals("mysql")) {
        run(SqlServers.postgres(), "bench_sql_postgres", etcdKv, measure);
      }
      if (!only.equals("postgres")) {
        run(SqlServers.mysql(), "bench_sql_mysql", etcdKv, measure);
      }
    }
  }

  /** The cases on one SQL server, each also through {@code etcdKv} (same keys, its own etcd). */
  private static void run(RdsEndpoint endpoint, String table, KvBackend etcdKv,
      Duration measure) throws Exception {
    boolean postgres = endpoint.flavor() == RdsEndpoint.Flavor.POSTGRES;
    SqlServers.dropTable(endpoint, table);
    RdsKvConfig config = RdsKvConfig.of(endpoint, table).withPoolSize(POOL_SIZE);
    byte[][] keys = new byte[KEY_COUNT][];
    for (int i = 0; i < KEY_COUNT; i++) {
      keys[i] = fixedSize(String.format("bench/kv/%08d", i), KEY_BYTES);
    }
    byte[] value = new byte[VALUE_BYTES];
    Arrays.fill(value, (byte) 'v');
    byte[] rangePrefix = Bytes.utf8("bench/range/");
    byte[] rangeEnd = Bytes.prefixEnd(rangePrefix);

    try (KvBackend store = postgres ? PostgresKv.connect(config, KvLimits.DEFAULT)
            : MysqlKv.connect(config, KvLimits.DEFAULT);
        HikariDataSource plain = plainPool(endpoint)) {
      List<KeyValue> seed = new ArrayList<>();
      for (int i = 0; i < KEY_COUNT; i++) {
        seed.add(KeyValue.of(keys[i], value));
      }
      for (int i = 0; i < RANGE_SIZE; i++) {
        seed.add(KeyValue.of(Bytes.concat(rangePrefix, fixedSize(Integer.toString(i),
            KEY_BYTES - rangePrefix.length)), value));
      }
      seed.add(KeyValue.of(GUARD_KEY, GUARD_VALUE));
      store.batchPut(seed, false);
      etcdKv.batchPut(seed, false);
      PlainJdbc jdbc = new PlainJdbc(plain, postgres ? "\"" + table + "\"" : "`" + table + "`",
          postgres);

      for (int threads : new int[] {1, 32}) {
        List<Case> cases = List.of(
            new Case("put", threads, i -> jdbc.put(keys[i], freshValue()),
                kv -> i -> kv.put(keys[i], freshValue())),
            new Case("get", threads, i -> jdbc.get(keys[i]), kv -> i -> kv.get(keys[i])),
            new Case("range100", threads,
                i -> expect(RANGE_SIZE, jdbc.range(rangePrefix, rangeEnd)),
                kv -> i -> expect(RANGE_SIZE, kv.range(RangeRequest.prefix(rangePrefix)).kvs()
                    .size())),
            new Case("txn", threads, i -> expect(1, jdbc.guardedPut(keys[i], freshValue())),
                kv -> i -> expect(1, kv.txn(Txn.when(
                    List.of(Compare.valueEquals(GUARD_KEY, GUARD_VALUE)),
                    List.of(TxnOp.put(keys[i], freshValue())), List.of())).succeeded() ? 1 : 0)));
        for (Case c : cases) {
          // A-B-B-A halves, so that drift in the server (checkpoints, vacuum) hits both alike
          Duration half = measure.dividedBy(2);
          double plainRate = halfRate(c.name() + "-jdbc", c.threads(), c.plain(), half);
          double storeRate = halfRate(c.name() + "-store", c.threads(), c.store().on(store),
              half);
          storeRate += halfRate(c.name() + "-store", c.threads(), c.store().on(store), half);
          plainRate += halfRate(c.name() + "-jdbc", c.threads(), c.plain(), half);
          double etcdRate = 2 * halfRate(c.name() + "-etcd", c.threads(), c.store().on(etcdKv),
              half);
          System.out.printf("%-10s %-10s %8d %14.0f %14.0f %8.2f %14.0f%n", store.name(),
              c.name(), c.threads(), plainRate, storeRate, storeRate / plainRate, etcdRate);
        }
      }
    } finally {
      SqlServers.dropTable(endpoint, table);
    }
  }

  private static HikariDataSource plainPool(RdsEndpoint endpoint) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("bench-plain-jdbc");
    hikari.setJdbcUrl(endpoint.jdbcUrl());
    hikari.setDataSourceProperties(endpoint.connectionProperties());
    hikari.setMaximumPoolSize(POOL_SIZE);
    hikari.setMinimumIdle(2);
    return new HikariDataSource(hikari);
  }

  /** The same work as plain statements on the same table. */
  private record PlainJdbc(HikariDataSource pool, String table, boolean postgres) {

    void put(byte[] key, byte[] value) throws SQLException {
      try (Connection connection = pool.getConnection()) {
        if (postgres) {
          try (PreparedStatement statement = connection.prepareStatement(
              "WITH prev AS (SELECT k, v FROM " + table + " WHERE k = ?), up AS (INSERT INTO "
                  + table + " (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET"
                  + " v = excluded.v) SELECT k, v FROM prev")) {
            statement.setBytes(1, key);
            statement.setBytes(2, key);
            statement.setBytes(3, value);
            statement.executeQuery().close();
          }
          return;
        }
        connection.setAutoCommit(false);
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT k, v FROM " + table + " WHERE k = ? FOR UPDATE");
            PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + table
                + " (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)")) {
          select.setBytes(1, key);
          select.executeQuery().close();
          upsert.setBytes(1, key);
          upsert.setBytes(2, value);
          upsert.executeUpdate();
          connection.commit();
        }
      }
    }

    void get(byte[] key) throws SQLException {
      try (Connection connection = pool.getConnection();
          PreparedStatement statement = connection.prepareStatement(
              "SELECT k, v FROM " + table + " WHERE k = ?")) {
        statement.setBytes(1, key);
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            readKeyAndValue(rows);
          }
        }
      }
    }

    /** What any caller of a read does with each row: takes its key and value. */
    private static void readKeyAndValue(ResultSet row) throws SQLException {
      if (row.getBytes(1).length + row.getBytes(2).length == 0) {
        throw new IllegalStateException("a row without key or value");
      }
    }

    int range(byte[] from, byte[] to) throws SQLException {
      try (Connection connection = pool.getConnection();
          PreparedStatement statement = connection.prepareStatement(
              "SELECT k, v FROM " + table + " WHERE k >= ? AND k < ? ORDER BY k")) {
        statement.setBytes(1, from);
        statement.setBytes(2, to);
        int count = 0;
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            readKeyAndValue(rows);
            count++;
          }
        }
        return count;
      }
    }

    /** Puts {@code key} if the guard key holds the guard value; 1 when it did. */
    int guardedPut(byte[] key, byte[] value) throws SQLException {
      String lockBoth = postgres
          ? "WITH guard AS (SELECT k, v FROM " + table + " WHERE k = ? FOR SHARE), prev AS"
              + " (SELECT k, v FROM " + table + " WHERE k = ? FOR UPDATE)"
              + " SELECT k, v FROM guard UNION ALL SELECT k, v FROM prev"
          : "(SELECT k, v FROM " + table + " WHERE k = ? LOCK IN SHARE MODE) UNION ALL"
              + " (SELECT k, v FROM " + table + " WHERE k = ? FOR UPDATE)";
      String upsert = "INSERT INTO " + table + " (k, v) VALUES (?, ?) ON " + (postgres
          ? "CONFLICT (k) DO UPDATE SET v = excluded.v" : "DUPLICATE KEY UPDATE v = VALUES(v)");
      try (Connection connection = pool.getConnection()) {
        connection.setAutoCommit(false);
        try (PreparedStatement select = connection.prepareStatement(lockBoth);
            PreparedStatement write = connection.prepareStatement(upsert)) {
          select.setBytes(1, GUARD_KEY);
          select.setBytes(2, key);
          boolean guardHolds = false;
          try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
              guardHolds |= Arrays.equals(rows.getBytes(1), GUARD_KEY)
                  && Arrays.equals(rows.getBytes(2), GUARD_VALUE);
            }
          }
          if (guardHolds) {
            write.setBytes(1, key);
            write.setBytes(2, value);
            write.executeUpdate();
          }
          connection.commit();
          return guardHolds ? 1 : 0;
        }
      }
    }
  }

  /** A value of {@value #VALUE_BYTES} bytes that no earlier write of this run wrote. */
  private static byte[] freshValue() {
    byte[] value = new byte[VALUE_BYTES];
    Arrays.fill(value, (byte) 'v');
    byte[] count = Bytes.utf8(Long.toString(WRITES.incrementAndGet()));
    System.arraycopy(count, 0, value, 0, count.length);
    return value;
  }

  private static double halfRate(String name, int threads, Throughput.Operation operation,
      Duration half) throws InterruptedException {
    return Throughput.measure(name, threads, KEY_COUNT, operation, half) / 2;
  }

  private static void expect(int wanted, int got) {
    if (wanted != got) {
      throw new IllegalStateException("got " + got + ", expected " + wanted);
    }
  }

  private static byte[] fixedSize(String text, int size) {
    byte[] bytes = Arrays.copyOf(Bytes.utf8(text), size);
    Arrays.fill(bytes, text.length(), size, (byte) '_');
    return bytes;
  }
}
