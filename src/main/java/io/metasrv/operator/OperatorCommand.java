package io.metasrv.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.metasrv.operator.admin.HttpPodAdminApi;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code metasrv operator}: runs the operator until SIGTERM, with kubeconfig or in-cluster. Exits
 * with 1 when it loses its leader Lease, so that Kubernetes restarts it as a fresh candidate.
 */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the Kubernetes operator for MetasrvCluster resources.")
public final class OperatorCommand implements Callable<Integer> {
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(20);

  @Option(
      names = "--namespace",
      split = ",",
      paramLabel = "NS",
      description = "Namespaces to watch, comma-separated or repeated; all when absent.")
  List<String> namespaces = List.of();

  @Option(
      names = "--server-side-apply",
      arity = "1",
      defaultValue = "true",
      paramLabel = "BOOL",
      description = "Use server-side apply for owned objects and status (default: ${DEFAULT-VALUE}).")
  boolean serverSideApply;

  @Option(
      names = "--observe-interval-seconds",
      defaultValue = "10",
      paramLabel = "SECONDS",
      description = "How often pods are asked who leads (default: ${DEFAULT-VALUE}).")
  long observeIntervalSeconds;

  @Option(
      names = "--health-addr",
      defaultValue = "0.0.0.0:8081",
      paramLabel = "HOST:PORT",
      description = "Serves /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  String healthAddr;

  @Option(
      names = "--leader-election",
      arity = "1",
      defaultValue = "true",
      paramLabel = "BOOL",
      description =
          "Only the holder of a Lease reconciles, so several replicas are safe (default: ${DEFAULT-VALUE}).")
  boolean leaderElection;

  @Option(
      names = "--leader-election-lease-name",
      defaultValue = LeaderElectionSettings.DEFAULT_LEASE_NAME,
      paramLabel = "NAME",
      description = "The operator's Lease (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(
      names = "--leader-election-namespace",
      paramLabel = "NS",
      description = "Namespace of the Lease; the operator's own namespace when absent.")
  String leaseNamespace;

  @Override
  public Integer call() throws IOException {
    InetSocketAddress healthAddress = hostPort(healthAddr);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    OperatorLeadership leadership =
        leaderElection ? OperatorLeadership.elected() : OperatorLeadership.alone();
    var election =
        leaderElection
            ? Optional.of(
                LeaderElectionSettings.of(leaseName, Optional.ofNullable(leaseNamespace))
                    .configuration(leadership.callbacks(() -> exitCode.complete(1))))
            : Optional.<LeaderElectionConfiguration>empty();
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      Operator operator =
          MetasrvOperator.create(
              client,
              new OperatorSettings(
                  Set.copyOf(namespaces),
                  serverSideApply,
                  Duration.ofSeconds(observeIntervalSeconds)),
              new HttpPodAdminApi(),
              PodAdminAddresses.podIp(),
              Clock.systemUTC(),
              new ReconcileMetrics(registry),
              election);
      CountDownLatch stopped = new CountDownLatch(1);
      // The JVM halts when its hooks return: this one waits until the operator stopped, which
      // releases the Lease so that another replica takes over at once.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    exitCode.complete(0);
                    awaitQuietly(stopped, SHUTDOWN_GRACE);
                  },
                  "operator-shutdown"));
      try (OperatorHealthServer health =
          OperatorHealthServer.start(healthAddress, operator, leadership, registry)) {
        operator.start();
        int code = exitCode.join();
        operator.stop();
        return code;
      } finally {
        stopped.countDown();
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch, Duration timeout) {
    try {
      latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static InetSocketAddress hostPort(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("--health-addr must be HOST:PORT, got " + address);
    }
    String host = address.substring(0, colon).replaceAll("^\\[|]$", "");
    return new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1)));
  }
}
