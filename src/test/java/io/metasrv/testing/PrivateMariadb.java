package io.metasrv.testing;

import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.StoreAddresses;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A MariaDB server of a test's own, from the installed {@code mariadb-server} package's {@code
 * mariadb-install-db} and {@code mariadbd}, with {@code root} allowed in without a password
 * from 127.0.0.1. Its socket, pid file and data live in its own directory, so it never touches
 * the machine's server; {@code --no-defaults} keeps the machine's configuration files out.
 */
public final class PrivateMariadb extends PrivateSqlServer {
  private static final Path INSTALL_DB = Path.of("/usr/bin/mariadb-install-db");
  private static final Path SERVER = Path.of("/usr/sbin/mariadbd");

  private PrivateMariadb() {
    super("mariadb");
  }

  /** Creates the data directory, starts the server and creates the database {@code test}. */
  public static PrivateMariadb create() {
    requireExecutable(INSTALL_DB, "apt-get install -y mariadb-server");
    requireExecutable(SERVER, "apt-get install -y mariadb-server");
    PrivateMariadb server = new PrivateMariadb();
    try {
      server.runToEnd(rootAllowed(List.of(INSTALL_DB.toString(), "--no-defaults",
          "--datadir=" + server.dir.resolve("data"), "--auth-root-authentication-method=normal",
          "--skip-test-db", "--skip-name-resolve")), Duration.ofSeconds(90));
      server.startAndCreateDatabase();
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  @Override
  public String address() {
    return "mysql://root@127.0.0.1:" + port + "/test";
  }

  @Override
  public RdsEndpoint endpoint() {
    return StoreAddresses.mysql(address());
  }

  @Override
  protected RdsEndpoint bootstrapEndpoint() {
    return StoreAddresses.mysql("mysql://root@127.0.0.1:" + port + "/mysql");
  }

  @Override
  protected List<String> serverCommand() {
    return rootAllowed(List.of(SERVER.toString(), "--no-defaults",
        "--datadir=" + dir.resolve("data"),
        "--port=" + port,
        "--bind-address=127.0.0.1",
        "--socket=" + dir.resolve("mariadbd.sock"),
        "--pid-file=" + dir.resolve("mariadbd.pid"),
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=32M",
        "--innodb-flush-log-at-trx-commit=2"));
  }

  /**
   * SIGTERM, MariaDB's normal shutdown, which is already fast: it ends every session (rolling
   * back their transactions), writes the data out and exits.
   */
  @Override
  public void stop() {
    if (!isRunning()) {
      return;
    }
    process().destroy();
    awaitExit();
  }

  @Override
  public String toString() {
    return "private MariaDB on 127.0.0.1:" + port + " (" + dir + ")";
  }

  /** MariaDB runs as root only when told to; the data directory then belongs to root. */
  private static List<String> rootAllowed(List<String> command) {
    if (!runningAsRoot()) {
      return command;
    }
    List<String> withUser = new ArrayList<>(command);
    withUser.add("--user=root");
    return withUser;
  }
}
