package io.metasrv.server;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.config.ConfigLoader;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.testing.SqlServers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The credentials as the operator hands them to a pod: {@code store_addrs} without them, the user
 * name in {@code GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME}, the password in the file that
 * {@code [backend_auth] password_file} names. The server's store and election log in with them,
 * as a user created here whose password holds the characters a connection string cannot carry.
 *
 * <p>MariaDB checks the password; the PostgreSQL on the test machine trusts every local login
 * (pg_hba {@code trust}), so there the test shows that the user is the one from the environment,
 * not that the password was accepted.
 */
class BackendAuthLoginTest {
  /** Commas, an at sign, quotes and spaces, one of them last: a trimmed password is wrong. */
  private static final String PASSWORD = "pw, with@'quotes' and  spaces ";

  private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  private final String user = "metasrv_auth_" + suffix;
  private final String table = "backend_auth_" + suffix;

  @TempDir Path dir;

  @Test
  void postgresStoreAndElectionLogInAsTheUserFromTheEnvironment() throws Exception {
    RdsEndpoint admin = SqlServers.postgres();
    SqlServers.execute(admin,
        "CREATE ROLE \"" + user + "\" LOGIN PASSWORD " + sqlLiteral(PASSWORD),
        "GRANT USAGE, CREATE ON SCHEMA public TO \"" + user + "\"");
    try {
      MetasrvOptions options = options("postgres_store", "host=127.0.0.1 port=5432 dbname=test",
          passwordFile(PASSWORD));

      logInAndUse(options, admin,
          "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + user + "'");
      assertThat(SqlServers.queryLong(admin, "SELECT count(*) FROM pg_tables WHERE tablename = '"
          + table + "' AND tableowner = '" + user + "'")).isEqualTo(1);
    } finally {
      SqlServers.dropTable(admin, table);
      SqlServers.execute(admin, "DROP OWNED BY \"" + user + "\"", "DROP ROLE \"" + user + "\"");
    }
  }

  @Test
  void mysqlStoreAndElectionLogInWithThePasswordFromTheFile() throws Exception {
    RdsEndpoint admin = SqlServers.mysql();
    String account = "'" + user + "'@'127.0.0.1'";
    SqlServers.execute(admin,
        "CREATE USER " + account + " IDENTIFIED BY " + sqlLiteral(PASSWORD),
        "GRANT ALL PRIVILEGES ON test.* TO " + account);
    try {
      MetasrvOptions options = options("mysql_store", "mysql://127.0.0.1:3306/test",
          passwordFile(PASSWORD));

      logInAndUse(options, admin,
          "SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'");

      // The same password without its last space is refused, by the server, naming the user.
      MetasrvOptions trimmed = options("mysql_store", "mysql://127.0.0.1:3306/test",
          passwordFile(PASSWORD.strip()));
      assertThatThrownBy(() -> Backends.open(trimmed, new SimpleMeterRegistry()))
          .isInstanceOf(MetasrvServer.StartupException.class)
          .hasMessageContaining("refused to log in user \"" + user + "\"")
          .hasMessageNotContaining("quotes");
    } finally {
      SqlServers.dropTable(admin, table);
      SqlServers.execute(admin, "DROP USER " + account);
    }
  }

  /**
   * Opens the store and the election as {@code metasrv start} does, writes and reads a key, wins
   * the election and lists the candidates (each on a connection of the election's own), and
   * checks while the store is open that its sessions belong to the user.
   */
  private void logInAndUse(MetasrvOptions options, RdsEndpoint admin, String countUserSessions)
      throws Exception {
    Backends backends = Backends.open(options, new SimpleMeterRegistry());
    try {
      backends.kv().put(utf8("auth/key"), utf8("value"));
      assertThat(backends.kv().get(utf8("auth/key")).map(kv -> utf8(kv.value())))
          .contains("value");
      assertThat(SqlServers.queryLong(admin, countUserSessions)).isPositive();

      MetasrvNodeInfo self = new MetasrvNodeInfo("127.0.0.1:3002", "test", "", 1L);
      CompletableFuture<LeaderChange.Elected> elected = new CompletableFuture<>();
      backends.election().start(self, change -> {
        if (change instanceof LeaderChange.Elected won) {
          elected.complete(won);
        }
      });
      assertThat(elected.get(60, TimeUnit.SECONDS).leaderAddr()).isEqualTo(self.addr());
      assertThat(backends.election().allCandidates()).extracting(MetasrvNodeInfo::addr)
          .contains(self.addr());
    } finally {
      backends.election().close();
      backends.kv().close();
    }
  }

  /** What the operator renders, with the user name from the environment as the pod has it. */
  private MetasrvOptions options(String backend, String storeAddress, Path passwordFile) {
    String toml = """
        backend = "%s"
        store_addrs = ["%s"]
        meta_table_name = "%s"
        meta_election_lock_id = %d
        [backend_auth]
        password_file = "%s"
        """.formatted(backend, storeAddress, table,
        ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), passwordFile);
    return ConfigLoader.load(toml, "config.toml",
        Map.of("GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME", user), Map.of());
  }

  /** The password as a mounted Secret holds it: the bytes alone, no line break. */
  private Path passwordFile(String password) throws IOException {
    Path file = Files.createTempFile(dir, "password", "");
    Files.writeString(file, password, StandardCharsets.UTF_8);
    return file;
  }

  private static String sqlLiteral(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
