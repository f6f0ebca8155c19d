package io.metasrv.testing;

import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.StoreAddresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own, from the installed {@code postgresql} package's {@code
 * initdb} and {@code postgres} (the newest major version under {@code /usr/lib/postgresql}),
 * with trust authentication for user {@code postgres}. PostgreSQL refuses to run as root; a test
 * running as root runs it as the package's {@code postgres} user, who then owns the data
 * directory. Durability is off ({@code fsync=off}): a test that crashes the machine has lost
 * more than this server.
 */
public final class PrivatePostgres extends PrivateSqlServer {
  private static final Path INSTALLATIONS = Path.of("/usr/lib/postgresql");
  private static final String OS_USER = "postgres";

  private final Path bin;

  private PrivatePostgres(Path bin) {
    super("postgres");
    this.bin = bin;
  }

  /** Creates the cluster, starts it and creates the database {@code test}; the caller closes it. */
  public static PrivatePostgres create() {
    Path bin = binaries();
    requireExecutable(bin.resolve("initdb"), "apt-get install -y postgresql");
    requireExecutable(bin.resolve("postgres"), "apt-get install -y postgresql");
    PrivatePostgres server = new PrivatePostgres(bin);
    try {
      server.initialize();
      server.startAndCreateDatabase();
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  @Override
  public String address() {
    return "postgresql://postgres@127.0.0.1:" + port + "/test";
  }

  @Override
  public RdsEndpoint endpoint() {
    return StoreAddresses.postgres(address());
  }

  @Override
  protected RdsEndpoint bootstrapEndpoint() {
    return StoreAddresses.postgres("postgresql://postgres@127.0.0.1:" + port + "/postgres");
  }

  @Override
  protected List<String> serverCommand() {
    return asUser(OS_USER, List.of(bin.resolve("postgres").toString(),
        "-D", dir.resolve("data").toString(),
        "-p", Integer.toString(port),
        "-k", dir.toString(),
        "-c", "listen_addresses=127.0.0.1",
        "-c", "fsync=off",
        "-c", "shared_buffers=32MB"));
  }

  /** {@code pg_ctl stop -m fast}: ends every session, checkpoints, exits. */
  @Override
  public void stop() {
    if (!isRunning()) {
      return;
    }
    runToEnd(asUser(OS_USER, List.of(bin.resolve("pg_ctl").toString(),
        "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "-t", "30", "stop")),
        Duration.ofSeconds(40));
    awaitExit();
  }

  @Override
  public String toString() {
    return "private PostgreSQL on 127.0.0.1:" + port + " (" + dir + ")";
  }

  private void initialize() {
    if (runningAsRoot()) {
      try {
        UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByName(OS_USER);
        Files.setOwner(dir, owner);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot hand " + dir + " to the " + OS_USER + " user"
            + " (installed with the postgresql package), as PostgreSQL will not run as root", e);
      }
    }
    runToEnd(asUser(OS_USER, List.of(bin.resolve("initdb").toString(),
        "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
        "--no-sync")), Duration.ofSeconds(60));
  }

  /** The newest installed major version's {@code bin}, or a path that does not exist. */
  private static Path binaries() {
    if (!Files.isDirectory(INSTALLATIONS)) {
      return INSTALLATIONS.resolve("missing/bin");
    }
    try (Stream<Path> versions = Files.list(INSTALLATIONS)) {
      return versions.filter(version -> Files.isExecutable(version.resolve("bin/initdb")))
          .max(Comparator.comparingInt(PrivatePostgres::majorVersion))
          .map(version -> version.resolve("bin"))
          .orElse(INSTALLATIONS.resolve("missing/bin"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + INSTALLATIONS, e);
    }
  }

  private static int majorVersion(Path installation) {
    try {
      return Integer.parseInt(installation.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
