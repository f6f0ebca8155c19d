package io.metasrv.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.metasrv.operator.admin.HttpPodAdminApi;
import io.metasrv.operator.admin.PodAdminAddresses;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metasrv operator}: runs the operator until SIGTERM, with kubeconfig or in-cluster. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the Kubernetes operator for MetasrvCluster resources.")
public final class OperatorCommand implements Callable<Integer> {
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

  @Override
  public Integer call() throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
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
              Clock.systemUTC());
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    operator.stop();
                    stopped.countDown();
                  },
                  "operator-shutdown"));
      operator.start();
      stopped.await();
    }
    return 0;
  }
}
