package io.metasrv.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code metasrv start} process of the built jar on etcd, on free loopback ports, as an
 * operator runs it: for tests and benchmarks that kill, stop and signal real processes.
 *
 * <p>Its console output (and the output of every later {@link #restart()}) is appended to
 * {@code console.log} in its directory; {@link #logTail} shows the end of it. HTTP helpers use
 * short timeouts and never throw for a node that does not answer. {@link #close()} kills the
 * process whatever state it is in, a SIGSTOPped one included.
 */
public final class MetasrvNode implements AutoCloseable {
  /** The jar under test: {@code -Dmetasrv.jar}, as failsafe sets it, or {@code target/metasrv.jar}. */
  public static final Path JAR = Path.of(System.getProperty("metasrv.jar", "target/metasrv.jar"));
  /** The JVM options metasrv ships with; a node's own options come after them and win. */
  public static final Path JVM_OPTIONS = Path.of(System.getProperty("metasrv.jvm-options",
      "bin/jvm.options"));
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(2);
  /** Three JVMs, a test JVM and etcd share two cores in CI: each node is kept small. */
  public static final List<String> SMALL_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");
  private static final Pattern EPOCH = Pattern.compile("(?m)^metasrv_leader_epoch\\s+(\\S+)$");

  private final String name;
  private final List<String> storeArgs;
  private final List<String> jvmOptions;
  private final Path dir;
  private final int rpcPort = FreePorts.next();
  private final int httpPort = FreePorts.next();
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();
  private Process process;
  private volatile boolean stopped;

  private MetasrvNode(String name, List<String> storeArgs, List<String> jvmOptions, Path dir) {
    this.name = name;
    this.storeArgs = List.copyOf(storeArgs);
    this.jvmOptions = List.copyOf(jvmOptions);
    this.dir = dir;
  }

  /**
   * Starts a node named {@code name} on the etcd at {@code storeAddr} ({@code host:port}),
   * with its data, logs and console output under {@code parent/name}. Does not wait for it.
   */
  public static MetasrvNode start(String name, String storeAddr, Path parent) {
    return start(name, List.of("--backend", "etcd_store", "--store-addrs", storeAddr), parent);
  }

  /**
   * Starts a node whose store {@code storeArgs} name (for example {@code --backend
   * postgres_store -c store.toml}), otherwise as {@link #start(String, String, Path)}.
   */
  public static MetasrvNode start(String name, List<String> storeArgs, Path parent) {
    return start(name, storeArgs, parent, SMALL_JVM);
  }

  /**
   * Starts a node as {@link #start(String, List, Path)} with the JVM options {@code jvmOptions}
   * (for example {@code -Xmx2g} for a benchmark that measures its heap) instead of {@link
   * #SMALL_JVM}.
   */
  public static MetasrvNode start(String name, List<String> storeArgs, Path parent,
      List<String> jvmOptions) {
    MetasrvNode node = new MetasrvNode(name, storeArgs, jvmOptions, parent.resolve(name));
    node.launch();
    return node;
  }

  public String name() {
    return name;
  }

  /** The address it advertises and elects with ({@code server_addr}). */
  public String serverAddr() {
    return "127.0.0.1:" + rpcPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Whether it was SIGSTOPped and not SIGCONTinued since. */
  public boolean isStopped() {
    return stopped;
  }

  /** Starts the process again (after it exited) on the same ports and directories. */
  public synchronized void restart() {
    if (process.isAlive()) {
      throw new IllegalStateException(name + " is still running (pid " + pid() + ")");
    }
    launch();
  }

  public void kill9() {
    signal("KILL");
    awaitExit(Duration.ofSeconds(10));
  }

  public void sigterm() {
    signal("TERM");
  }

  /**
   * Sends SIGSTOP and waits until every thread of the process has stopped: {@code kill}
   * returning does not mean the process is frozen. The kernel wakes one thread to start the
   * group stop and the others stop only once it has run; until then (milliseconds on a loaded
   * machine) they keep running, and a request that arrives meanwhile can still be handled, its
   * store write applied before the freeze and answered only after SIGCONT.
   *
   * @return how long after {@code kill -STOP} returned the last thread stopped
   */
  public Duration sigstop() {
    signal("STOP");
    stopped = true;
    long signalled = System.nanoTime();
    long deadline = signalled + TimeUnit.SECONDS.toNanos(10);
    String states = threadStates();
    while (!states.chars().allMatch(state -> state == 'T')) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " (pid " + pid() + ") not stopped 10 s after SIGSTOP;"
            + " thread states " + states);
      }
      Thread.onSpinWait();
      states = threadStates();
    }
    return Duration.ofNanos(System.nanoTime() - signalled);
  }

  /** One letter per live thread, as /proc/PID/task/TID/stat says (R, S, D, T, ...). */
  private String threadStates() {
    StringBuilder states = new StringBuilder();
    try (var tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid()), "task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended
        }
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state != 'Z' && state != 'X') {
          states.append(state);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the threads of " + this, e);
    }
    return states.toString();
  }

  public void sigcont() {
    signal("CONT");
    stopped = false;
  }

  /** Waits for the process to exit and returns its exit code. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(name + " (pid " + pid() + ") still running after " + timeout
            + "; log tail:\n" + logTail(40));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return process.exitValue();
  }

  /** {@code leader}, {@code follower} or {@code not_serving} as {@code /health} says, or {@code down}. */
  public String health() {
    return health(HTTP_TIMEOUT);
  }

  public String health(Duration timeout) {
    Optional<HttpResponse<String>> response = send("GET", "/health", timeout);
    if (response.isEmpty()) {
      return "down";
    }
    Matcher status = Pattern.compile("\"status\"\\s*:\\s*\"([a-z_]+)\"")
        .matcher(response.get().body());
    return status.find() ? status.group(1) : "unreadable: " + response.get().body();
  }

  /** What {@code GET /admin/leader} names, empty when it answers no leader or does not answer. */
  public Optional<String> leaderAddr() {
    return send("GET", "/admin/leader", HTTP_TIMEOUT)
        .filter(r -> r.statusCode() == 200)
        .map(r -> r.body().trim());
  }

  /** {@code metasrv_leader_epoch} from {@code /metrics}: the epoch held, 0 when not leading; -1 when down. */
  public long epoch() {
    return send("GET", "/metrics", HTTP_TIMEOUT)
        .filter(r -> r.statusCode() == 200)
        .map(r -> epochIn(r.body()))
        .orElse(-1L);
  }

  /** The value of {@code metasrv_leader_epoch} in a Prometheus scrape, -1 when absent. */
  public static long epochIn(String metrics) {
    Matcher m = EPOCH.matcher(metrics);
    return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
  }

  /** {@code GET /admin/maintenance} as true/false, empty when it does not answer 200. */
  public Optional<Boolean> maintenance() {
    return send("GET", "/admin/maintenance", HTTP_TIMEOUT)
        .filter(r -> r.statusCode() == 200)
        .map(r -> r.body().contains("\"enabled\":true"));
  }

  /** {@code POST /admin/maintenance/enable|disable}; empty when it does not answer in time. */
  public Optional<HttpResponse<String>> setMaintenance(boolean enabled, Duration timeout) {
    return send("POST", "/admin/maintenance/" + (enabled ? "enable" : "disable"), timeout);
  }

  /** Sends a request with no body; empty when the node does not answer within {@code timeout}. */
  public Optional<HttpResponse<String>> send(String method, String path, Duration timeout) {
    try {
      return Optional.of(sendOrThrow(method, path, timeout));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Like {@link #send} but lets the caller see why a request got no answer. */
  public HttpResponse<String> sendOrThrow(String method, String path, Duration timeout)
      throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(timeout)
            .method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** The last {@code lines} lines of its console output. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(dir.resolve("console.log"));
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no console log: " + e.getMessage() + ")";
    }
  }

  /** Kills the process (continuing it first if it was stopped) and waits for it to go. */
  @Override
  public synchronized void close() {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (stopped) {
      signalQuietly("CONT");
      stopped = false;
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (" + serverAddr() + ", http " + httpPort + ", pid "
        + (process == null ? "-" : Long.toString(process.pid())) + ")";
  }

  private void launch() {
    try {
      Files.createDirectories(dir);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("@" + JVM_OPTIONS.toAbsolutePath());
      command.addAll(jvmOptions);
      command.addAll(List.of("-jar", JAR.toAbsolutePath().toString(), "start"));
      command.addAll(storeArgs);
      command.addAll(List.of(
          "--bind-addr", serverAddr(), "--server-addr", serverAddr(),
          "--http-addr", "127.0.0.1:" + httpPort,
          "--data-home", dir.resolve("data").toString(),
          "--log-dir", dir.resolve("logs").toString()));
      ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()));
      builder.environment().keySet().removeIf(key -> key.startsWith("GREPTIMEDB_METASRV"));
      process = builder.start();
      stopped = false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start metasrv node " + name + " from " + JAR, e);
    }
  }

  private void signal(String signal) {
    if (!process.isAlive()) {
      throw new IllegalStateException("cannot send SIG" + signal + " to " + this
          + ": it exited with " + process.exitValue());
    }
    if (!signalQuietly(signal)) {
      throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
    }
  }

  private boolean signalQuietly(String signal) {
    try {
      return new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
