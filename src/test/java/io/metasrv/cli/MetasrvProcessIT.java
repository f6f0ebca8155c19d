package io.metasrv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.testing.FreePorts;
import java.io.IOException;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built jar as users run it: real processes, real ports, real signals. */
class MetasrvProcessIT {
  private static final Path JAR = Path.of(System.getProperty("metasrv.jar", "target/metasrv.jar"));
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Process> processes = new ArrayList<>();

  @TempDir Path tmp;

  @AfterEach
  void killLeftovers() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  void servesEveryAdminEndpointAndExitsZeroOnSigterm() throws Exception {
    int rpcPort = FreePorts.next();
    int httpPort = FreePorts.next();
    Path dataHome = tmp.resolve("data/home");
    Path log = tmp.resolve("server.log");
    Process server = start(log, Map.of(), "start", "--use-memory-store",
        "--bind-addr", "127.0.0.1:" + rpcPort, "--server-addr", "127.0.0.1:" + rpcPort,
        "--http-addr", "127.0.0.1:" + httpPort, "--data-home", dataHome.toString(),
        "--log-dir", tmp.resolve("logs").toString());
    String base = "http://127.0.0.1:" + httpPort;

    // a node serves (200) as a follower first, until its election makes it leader
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> get(base + "/health").body().contains("leader\""));
    assertThat(get(base + "/health").body()).isEqualTo("{\"status\":\"leader\",\"epoch\":1}");
    assertThat(dataHome).isDirectory();
    assertThat(get(base + "/admin/health").body()).isEqualTo("OK\n");
    assertThat(get(base + "/admin/leader").body()).isEqualTo("127.0.0.1:" + rpcPort);

    assertThat(get(base + "/admin/maintenance").body()).isEqualTo("{\"enabled\":false}");
    assertThat(send("PUT", base + "/admin/maintenance?enable=true").body())
        .isEqualTo("{\"enabled\":true}");
    assertThat(get(base + "/admin/maintenance").body()).isEqualTo("{\"enabled\":true}");
    assertThat(send("POST", base + "/admin/maintenance/disable").body())
        .isEqualTo("{\"enabled\":false}");
    assertThat(send("POST", base + "/admin/maintenance/enable").body())
        .isEqualTo("{\"enabled\":true}");
    assertThat(send("PUT", base + "/admin/maintenance?enable=false").body())
        .isEqualTo("{\"enabled\":false}");
    assertThat(get(base + "/admin/maintenance").body()).isEqualTo("{\"enabled\":false}");
    assertThat(send("PUT", base + "/admin/maintenance?enable=yes").statusCode()).isEqualTo(400);
    assertThat(send("DELETE", base + "/admin/maintenance").statusCode()).isEqualTo(405);

    // a request is counted once its answer is written: wait rather than race the last one
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
            get(base + "/metrics").body())
        .contains("metasrv_leader 1.0")
        .contains("jvm_memory_used_bytes")
        .containsPattern("jvm_compilation_time_ms_total\\{.*\\} [1-9]")
        .contains("process_cpu_usage")
        .contains("metasrv_http_requests_seconds_count{method=\"PUT\",route=\"/admin/maintenance\""
            + ",status=\"200\"} 2")
        .containsPattern("metasrv_kv_operation_seconds_count\\{.*backend=\"memory\".*op=\"put\""));

    server.destroy(); // SIGTERM
    assertThat(server.waitFor(20, TimeUnit.SECONDS)).as("stopped within 20 s").isTrue();
    assertThat(server.exitValue()).isZero();
    String output = Files.readString(log);
    assertThat(output)
        .contains("metasrv starting")
        .contains("leader elected: addr=127.0.0.1:" + rpcPort)
        .contains("received SIGTERM")
        .contains("leader stepped down")
        .contains("metasrv stopped");
  }

  @Test
  void sigintStopsCleanlyToo() throws Exception {
    int rpcPort = FreePorts.next();
    int httpPort = FreePorts.next();
    Path log = tmp.resolve("server.log");
    Process server = start(log, Map.of(), "start", "--use-memory-store",
        "--bind-addr", "127.0.0.1:" + rpcPort, "--server-addr", "127.0.0.1:" + rpcPort,
        "--http-addr", "127.0.0.1:" + httpPort,
        "--data-home", tmp.resolve("home").toString());
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> get("http://127.0.0.1:" + httpPort + "/health").statusCode() == 200);
    new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start().waitFor();
    assertThat(server.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isZero();
    assertThat(Files.readString(log)).contains("received SIGINT").contains("metasrv stopped");
  }

  @Test
  void busyHttpPortFailsStartWithExitOne() throws Exception {
    int httpPort = FreePorts.next();
    try (var taken = new java.net.ServerSocket(httpPort, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      assertThat(taken.isBound()).isTrue();
      Path log = tmp.resolve("server.log");
      Process server = start(log, Map.of(), "start", "--use-memory-store",
          "--server-addr", "127.0.0.1:3002", "--http-addr", "127.0.0.1:" + httpPort,
          "--data-home", tmp.resolve("home").toString());
      assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(server.exitValue()).isEqualTo(1);
      assertThat(Files.readString(log)).contains("http.addr = 127.0.0.1:" + httpPort);
    }
  }

  @Test
  void configPrintsTheSeedDefaults() throws Exception {
    Result result = run(Map.of(), "config");
    assertThat(result.exitCode).isZero();
    assertThat(result.stdout)
        .contains("bind_addr = \"127.0.0.1:3002\"")
        .contains("store_addrs = [\"127.0.0.1:2379\"]")
        .contains("max_txn_ops = 128")
        .contains("backend = \"etcd_store\"");
  }

  @Test
  void configTakesListsFromTheEnvironment() throws Exception {
    Result result = run(Map.of("GREPTIMEDB_METASRV__STORE_ADDRS", "a:1,b:2"), "config");
    assertThat(result.exitCode).isZero();
    assertThat(result.stdout).contains("store_addrs = [\"a:1\", \"b:2\"]");
  }

  @Test
  void flagsWinOverEnvironmentAndFile() throws Exception {
    Path file = tmp.resolve("metasrv.toml");
    Files.writeString(file, "bind_addr = \"127.0.0.1:1001\"\nmax_txn_ops = 64\n");
    Result result = run(Map.of("GREPTIMEDB_METASRV__BIND_ADDR", "127.0.0.1:1002"),
        "config", "-c", file.toString(), "--bind-addr", "127.0.0.1:1003");
    assertThat(result.exitCode).isZero();
    assertThat(result.stdout).contains("bind_addr = \"127.0.0.1:1003\"")
        .contains("max_txn_ops = 64");
  }

  @Test
  void memoryStoreFlagShowsTheBackendInForce() throws Exception {
    Result result = run(Map.of(), "config", "--use-memory-store");
    assertThat(result.exitCode).isZero();
    assertThat(result.stdout).contains("backend = \"memory_store\"")
        .contains("use_memory_store = true");
  }

  @Test
  void misspelledKeyExitsTwoAndSuggestsTheKnownOne() throws Exception {
    Path file = tmp.resolve("typo.toml");
    Files.writeString(file, "bind_adr = \"x\"\n");
    Result result = run(Map.of(), "config", "-c", file.toString());
    assertThat(result.exitCode).isEqualTo(2);
    assertThat(result.stderr).contains("bind_adr").contains("bind_addr");
    Result check = run(Map.of(), "config", "--check", "-c", file.toString());
    assertThat(check.exitCode).isEqualTo(2);
    Result start = run(Map.of(), "start", "-c", file.toString());
    assertThat(start.exitCode).isEqualTo(2);
    assertThat(start.stderr).contains("bind_adr");
  }

  @Test
  void versionNamesTheBuild() throws Exception {
    Result result = run(Map.of(), "--version");
    assertThat(result.exitCode).isZero();
    assertThat(result.stdout).matches("metasrv \\S+ \\(commit [0-9a-f]{7,}\\)\\s*");
  }

  @Test
  void helpWorksOnEachCommand() throws Exception {
    for (String[] args : List.of(new String[] {"--help"}, new String[] {"start", "--help"},
        new String[] {"config", "--help"})) {
      Result result = run(Map.of(), args);
      assertThat(result.exitCode).as(String.join(" ", args)).isZero();
      assertThat(result.stdout).contains("Usage: metasrv");
    }
    assertThat(run(Map.of(), "start", "--help").stdout).contains("--store-addrs")
        .contains("--use-memory-store").contains("--enable-region-failover");
  }

  private Process start(Path log, Map<String, String> env, String... args) throws IOException {
    ProcessBuilder builder = command(env, args).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  private Result run(Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process process = command(env, args).redirectOutput(out.toFile()).redirectError(err.toFile())
        .start();
    processes.add(process);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private ProcessBuilder command(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("GREPTIMEDB_METASRV"));
    builder.environment().putAll(env);
    return builder;
  }

  private HttpResponse<String> get(String url) throws Exception {
    return send("GET", url);
  }

  private HttpResponse<String> send(String method, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
            .method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private record Result(int exitCode, String stdout, String stderr) {}
}
