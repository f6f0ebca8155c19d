package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.metasrv.testing.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code metasrv start} processes of the built jar electing through an API server in this
 * JVM (the CRUD mock, reached over plain HTTP through a kubeconfig), each over its own memory
 * store: the election is independent of the store.
 */
class KubernetesLeaseProcessIT {
  private static final String JAR_PROPERTY = "metasrv.jar";
  // Short enough to test quickly, long enough that a loaded 2-core CI machine does not miss
  // renewals and make leadership flap while the test waits for it to settle.
  private static final Duration RETRY_PERIOD = Duration.ofSeconds(1);

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final MockApiServer api = new MockApiServer();
  private final List<Server> servers = new ArrayList<>();

  @TempDir Path tmp;

  private record Server(String addr, String httpBase, Process process, Path log) {}

  /**
   * Failsafe builds the jar first and names it; a surefire run that selects this class by a
   * pattern would start whatever stale jar lies around, so it skips instead.
   */
  @BeforeAll
  static void requireTheJarFailsafeBuilt() {
    assumeTrue(System.getProperty(JAR_PROPERTY) != null,
        "runs under failsafe (mvn verify), which sets -D" + JAR_PROPERTY);
  }

  @AfterEach
  void stop() {
    servers.forEach(server -> server.process().destroyForcibly());
    api.close();
  }

  @Test
  void sigtermedLeaderReleasesTheLeaseAndAPeerTakesItOver() throws Exception {
    Path kubeconfig = writeKubeconfig();
    for (int i = 0; i < 3; i++) {
      servers.add(start(i, kubeconfig));
    }
    Server leader = awaitOneLeaderNamedByAll(servers);
    try (KubernetesClient client = api.client()) {
      Lease lease = client.leases().inNamespace(MockApiServer.NAMESPACE)
          .withName("metasrv-election").get();
      assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.addr());
    }
    assertThat(get(leader.httpBase() + "/metrics").body())
        .containsPattern("metasrv_leader_epoch [1-9]");

    long sigtermAt = System.nanoTime();
    leader.process().destroy(); // SIGTERM: resign first, then stop serving
    List<Server> survivors = servers.stream().filter(s -> s != leader).toList();
    // the time is printed, not asserted (bench/k8s-lease measures it); that the Lease was
    // released, not left to expire, is asserted from the successor's log below
    await("a survivor to lead").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> survivors.stream().anyMatch(this::leads));
    long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigtermAt);
    System.out.printf("[KubernetesLeaseProcessIT] SIGTERM -> new leader serving: %d ms%n",
        takeoverMillis);

    assertThat(leader.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(leader.process().exitValue()).isZero();
    assertThat(Files.readString(leader.log())).contains("leader stepped down")
        .contains("metasrv stopped");
    Server successor = awaitOneLeaderNamedByAll(survivors);
    assertThat(successor).isNotEqualTo(leader);
    assertThat(Files.readString(successor.log()))
        .as("the successor took the Lease over released by " + leader.addr())
        .contains("election Lease taken over: addr=" + successor.addr()
            + " previousHolder=<released>");
  }

  private boolean leads(Server server) {
    try {
      return get(server.httpBase() + "/health").body().contains("\"leader\"");
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private Server awaitOneLeaderNamedByAll(List<Server> candidates) {
    try {
      await("one leader named by every node").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50)).ignoreExceptions()
          .until(() -> candidates.stream().filter(this::leads).count() == 1
              && candidates.stream().map(this::namedLeader).distinct().toList()
                  .equals(List.of(candidates.stream().filter(this::leads).findFirst()
                      .map(Server::addr))));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "\n" + logTails(candidates), e);
    }
    return candidates.stream().filter(this::leads).findFirst().orElseThrow();
  }

  private static String logTails(List<Server> candidates) {
    StringBuilder tails = new StringBuilder();
    for (Server server : candidates) {
      try {
        List<String> lines = Files.readAllLines(server.log());
        tails.append("--- ").append(server.addr()).append(" (last 30 lines)\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30),
                lines.size()))).append('\n');
      } catch (IOException e) {
        tails.append("--- ").append(server.addr()).append(": no log: ").append(e).append('\n');
      }
    }
    return tails.toString();
  }

  private Optional<String> namedLeader(Server server) {
    try {
      HttpResponse<String> response = get(server.httpBase() + "/admin/leader");
      return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
    } catch (IOException | InterruptedException e) {
      return Optional.empty();
    }
  }

  private Path writeKubeconfig() throws IOException {
    Path file = tmp.resolve("kubeconfig");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
          - name: mock
            cluster:
              server: %s
        users:
          - name: metasrv
            user:
              token: not-checked-by-the-mock
        contexts:
          - name: mock
            context:
              cluster: mock
              user: metasrv
              namespace: %s
        current-context: mock
        """.formatted(api.url(), MockApiServer.NAMESPACE));
    return file;
  }

  private Server start(int index, Path kubeconfig) throws IOException {
    int rpcPort = FreePorts.next();
    int httpPort = FreePorts.next();
    String addr = "127.0.0.1:" + rpcPort;
    Path log = tmp.resolve("server-" + index + ".log");
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        Path.of(System.getProperty(JAR_PROPERTY)).toAbsolutePath().toString(), "start",
        "--use-memory-store",
        "--bind-addr", addr, "--server-addr", addr, "--http-addr", "127.0.0.1:" + httpPort,
        "--data-home", tmp.resolve("home-" + index).toString(),
        "--log-dir", tmp.resolve("logs-" + index).toString());
    ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("GREPTIMEDB_METASRV")
        || name.equals("POD_NAMESPACE") || name.startsWith("KUBERNETES_"));
    env.putAll(Map.of(
        "GREPTIMEDB_METASRV__ELECTION__KIND", "kubernetes-lease",
        "GREPTIMEDB_METASRV__ELECTION__KUBECONFIG", kubeconfig.toString(),
        "GREPTIMEDB_METASRV__ELECTION__LEASE_DURATION", "4s",
        "GREPTIMEDB_METASRV__ELECTION__RENEW_DEADLINE", "3s",
        "GREPTIMEDB_METASRV__ELECTION__RETRY_PERIOD", RETRY_PERIOD.toMillis() + "ms"));
    return new Server(addr, "http://127.0.0.1:" + httpPort, builder.start(), log);
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
