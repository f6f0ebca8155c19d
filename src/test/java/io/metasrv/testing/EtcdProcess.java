package io.metasrv.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A single-member etcd started from the Debian {@code etcd-server} binary on free loopback
 * ports, with its own data directory, for tests and benchmarks.
 *
 * <p>{@link #shared()} is one instance per JVM, started on first use and stopped when the JVM
 * exits, so a test suite pays etcd's start-up once. Tests that stop or restart etcd start their
 * own with {@link #start()}.
 *
 * <p>Without the binary, tests are skipped, except under {@code CI=true}, where they fail.
 */
public final class EtcdProcess implements AutoCloseable {
  public static final Path BINARY = Path.of(System.getProperty("metasrv.etcd.binary",
      "/usr/bin/etcd"));
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private static EtcdProcess shared;

  private final int clientPort;
  private final int peerPort;
  private final int metricsPort;
  private final Path dir;
  private final ServerTls tls;
  private final List<String> extraFlags;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1))
      .build();
  private Process process;

  /**
   * Server-side TLS for the client port.
   *
   * @param clientCa when set, clients must present a certificate signed by it
   */
  public record ServerTls(Path cert, Path key, Path clientCa) {}

  private EtcdProcess(Path dir, ServerTls tls, List<String> extraFlags) throws IOException {
    this.clientPort = freePort();
    this.peerPort = freePort();
    this.metricsPort = freePort();
    this.dir = dir;
    this.tls = tls;
    this.extraFlags = List.copyOf(extraFlags);
  }

  /** The per-JVM etcd, started on first use. Do not stop it. */
  public static synchronized EtcdProcess shared() {
    if (shared == null) {
      EtcdProcess started = start();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "etcd-process-cleanup"));
      shared = started;
    }
    return shared;
  }

  /** A fresh etcd of its own; the caller closes it. */
  public static EtcdProcess start() {
    return start(null, List.of());
  }

  /** A fresh etcd whose client port speaks TLS only ({@code https://}); the caller closes it. */
  public static EtcdProcess startWithTls(ServerTls tls) {
    return start(tls, List.of());
  }

  /** A fresh etcd started with these flags too, e.g. {@code --quota-backend-bytes=N}. */
  public static EtcdProcess startWithFlags(String... flags) {
    return start(null, List.of(flags));
  }

  private static EtcdProcess start(ServerTls tls, List<String> extraFlags) {
    requireBinary();
    try {
      EtcdProcess etcd = new EtcdProcess(Files.createTempDirectory("metasrv-etcd-"), tls,
          extraFlags);
      etcd.launch();
      return etcd;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare an etcd data directory", e);
    }
  }

  /** Skips the calling test when etcd is not installed, or fails it under {@code CI=true}. */
  public static void requireBinary() {
    if (Files.isExecutable(BINARY)) {
      return;
    }
    String message = "etcd binary " + BINARY + " not found; install it with "
        + "`apt-get install -y etcd-server` (or set -Dmetasrv.etcd.binary)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      Assertions.fail(message + " [CI=true: a missing service fails the build]");
    }
    Assumptions.abort(message);
  }

  /** The client URL, e.g. {@code http://127.0.0.1:40123}, or {@code https://} with TLS. */
  public String endpoint() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
  }

  public int clientPort() {
    return clientPort;
  }

  /** Stops etcd gracefully (SIGTERM) and waits for it to exit; the data directory stays. */
  public synchronized void stop() {
    terminate(false);
  }

  /** Kills etcd (SIGKILL), as a crash would; the data directory stays. */
  public synchronized void kill() {
    terminate(true);
  }

  /** Starts etcd again on the same ports over the same data directory. */
  public synchronized void restart() {
    terminate(false);
    launch();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Stops etcd and deletes its data directory. */
  @Override
  public synchronized void close() {
    terminate(true);
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete etcd data directory " + dir, e);
    }
  }

  private void launch() {
    String client = endpoint();
    String peer = "http://127.0.0.1:" + peerPort;
    List<String> command = new ArrayList<>(List.of(BINARY.toString(),
        "--name", "metasrv-test",
        "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", client,
        "--advertise-client-urls", client,
        "--listen-peer-urls", peer,
        "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "metasrv-test=" + peer,
        "--initial-cluster-state", "new",
        // plain HTTP /health even when the client port needs TLS
        "--listen-metrics-urls", "http://127.0.0.1:" + metricsPort,
        "--logger", "zap",
        "--log-level", "warn"));
    command.addAll(extraFlags);
    if (tls != null) {
      command.addAll(List.of("--cert-file", tls.cert().toString(),
          "--key-file", tls.key().toString()));
      if (tls.clientCa() != null) {
        command.addAll(List.of("--client-cert-auth",
            "--trusted-ca-file", tls.clientCa().toString()));
      }
    }
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + BINARY, e);
    }
    Process started = process;
    await("etcd on " + client + " to report itself healthy")
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!started.isAlive()) {
            throw new IllegalStateException("etcd exited with " + started.exitValue()
                + " during start-up; its log:\n" + logTail());
          }
          return healthy();
        });
  }

  private boolean healthy() {
    HttpRequest request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + metricsPort + "/health"))
        .timeout(Duration.ofSeconds(1))
        .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("\"true\"");
    } catch (IOException e) {
      return false; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void terminate(boolean forcibly) {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (forcibly) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping etcd on " + endpoint(), e);
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("etcd.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  @Override
  public String toString() {
    return "etcd at " + endpoint() + " (data " + dir + ")";
  }
}
