package io.metasrv.testing;

import static org.awaitility.Awaitility.await;

import io.metasrv.kv.rds.RdsConnections;
import io.metasrv.kv.rds.RdsEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A database server of a test's own ({@link PrivatePostgres}, {@link PrivateMariadb}): a fresh
 * data directory under a temporary directory, a free loopback port, a database {@code test}
 * that anyone may use without a password. Unlike the machine's shared servers ({@link
 * SqlServers}), which other tests and CI runs use at the same time, it may be stopped and started
 * again.
 *
 * <p>Without the server's binaries, tests are skipped, except under {@code CI=true}, where they
 * fail.
 */
public abstract sealed class PrivateSqlServer implements AutoCloseable
    permits PrivatePostgres, PrivateMariadb {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  protected final Path dir;
  protected final int port;
  private final Path log;
  private Process process;

  protected PrivateSqlServer(String kind) {
    try {
      this.dir = Files.createTempDirectory("metasrv-" + kind + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a directory for a private " + kind, e);
    }
    this.port = FreePorts.next();
    this.log = dir.resolve("server.log");
  }

  /** The {@code store_addrs} of the database {@code test} on this server. */
  public abstract String address();

  /** The database {@code test} on this server, as the stores connect to it. */
  public abstract RdsEndpoint endpoint();

  /** The command that runs the server in the foreground on {@link #port} over {@link #dir}. */
  protected abstract List<String> serverCommand();

  /** The database the server answers on before {@code test} exists. */
  protected abstract RdsEndpoint bootstrapEndpoint();

  /**
   * Stops the server as its operator's "fast" shutdown does: open sessions are ended, the data
   * is written out, the process exits. Returns once it has.
   */
  public abstract void stop();

  /** Starts the server over its data directory and returns once it answers. */
  public final synchronized void start() {
    if (isRunning()) {
      throw new IllegalStateException(this + " is already running");
    }
    try {
      process = new ProcessBuilder(serverCommand())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + this, e);
    }
    Process started = process;
    await(this + " to answer").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          if (!started.isAlive()) {
            throw new IllegalStateException(this + " exited with " + started.exitValue()
                + " during start-up; its log:\n" + logTail());
          }
          return answers(bootstrapEndpoint());
        });
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Waits for the server process, after it was asked to stop, to exit. */
  protected final synchronized void awaitExit() {
    if (process == null) {
      return;
    }
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(this + " did not stop within " + STOP_TIMEOUT
            + "; its log:\n" + logTail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping " + this, e);
    }
  }

  protected final Process process() {
    return process;
  }

  /** Kills the server if it runs and deletes its directory. */
  @Override
  public synchronized void close() {
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      try {
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  /** The last lines of the server's log. */
  public String logTail() {
    try {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** Runs a set-up command to its end, failing with its output when it fails. */
  protected final void runToEnd(List<String> command, Duration timeout) {
    Path output = dir.resolve("setup.log");
    try {
      Process setup = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
      if (!setup.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        setup.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within "
            + timeout);
      }
      if (setup.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited with "
            + setup.exitValue() + ":\n" + Files.readString(output));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.get(0), e);
    }
  }

  /** Starts the server for the first time and creates the database {@code test}. */
  protected final void startAndCreateDatabase() {
    start();
    SqlServers.execute(bootstrapEndpoint(), "CREATE DATABASE test");
  }

  /** Whether the test runs as root (servers refuse to run as root unless told or switched). */
  protected static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * Skips the calling test when a binary the server needs is missing, or fails it under {@code
   * CI=true}.
   */
  protected static void requireExecutable(Path binary, String install) {
    if (Files.isExecutable(binary)) {
      return;
    }
    String message = binary + " not found; install it with `" + install + "`";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      Assertions.fail(message + " [CI=true: a missing service fails the build]");
    }
    Assumptions.abort(message);
  }

  /** {@code command} prefixed so that it runs as {@code user} when the test runs as root. */
  protected static List<String> asUser(String user, List<String> command) {
    if (!runningAsRoot()) {
      return command;
    }
    List<String> switched = new ArrayList<>(List.of("setpriv", "--reuid=" + user,
        "--regid=" + user, "--init-groups", "--"));
    switched.addAll(command);
    return switched;
  }

  private static boolean answers(RdsEndpoint endpoint) {
    try (Connection connection = RdsConnections.open(endpoint, Duration.ofSeconds(2),
        Duration.ofSeconds(5))) {
      return true;
    } catch (SQLException e) {
      return false;
    }
  }
}
