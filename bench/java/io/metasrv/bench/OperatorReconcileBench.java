package io.metasrv.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.metasrv.operator.MetasrvOperator;
import io.metasrv.operator.OperatorSettings;
import io.metasrv.operator.admin.HttpPodAdminApi;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.bench.OperatorRequestCounter.Counts;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The operator against fabric8's mock API server in CRUD mode: (1) N MetasrvClusters created at
 * once on an empty server, timed until every cluster has all its dependents and a written status,
 * with the API requests the operator made per cluster; (2) then, with nothing changing, the
 * operator's requests per minute, reads and writes apart (target: no writes).
 *
 * <p>No pods exist (the mock has no StatefulSet controller), so each status reports 0 of 3 pods
 * serving and the observer asks no admin API; the periodic re-observation still runs at the
 * operator's default interval. Run it with {@code bench/operator-reconcile [clusters] [seconds]}.
 */
public final class OperatorReconcileBench {
  private static final Duration OBSERVE_INTERVAL = Duration.ofSeconds(10);
  private static final Duration SETTLE = Duration.ofSeconds(5);
  // Held so that the mock server's per-request log lines stay off.
  private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  public static void main(String[] args) throws Exception {
    int clusters = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    Duration steady = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 60);
    MOCK_LOG.setLevel(Level.WARNING);

    OperatorRequestCounter counter = new OperatorRequestCounter();
    KubernetesMockServer server =
        new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), counter, false);
    server.init();
    KubernetesClient operatorClient = server.createClient();
    KubernetesClient benchClient =
        new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder(operatorClient.getConfiguration())
                .withCustomHeaders(Map.of(OperatorRequestCounter.UNCOUNTED_HEADER, "1"))
                .build())
            .build();
    String namespace = operatorClient.getNamespace();
    registerCrds(benchClient);

    Operator operator =
        MetasrvOperator.create(
            operatorClient,
            new OperatorSettings(Set.of(), false, OBSERVE_INTERVAL),
            new HttpPodAdminApi(),
            (pod, httpPort) -> Optional.empty(),
            Clock.systemUTC(),
            Metrics.NOOP,
            Optional.empty());
    operator.start();
    Counts startup = counter.takeCounts();
    System.out.printf("operator-reconcile bench: %d clusters, mock API server (CRUD), observe every %d s%n",
        clusters, OBSERVE_INTERVAL.toSeconds());
    System.out.printf("operator start: %d requests (%d reads, %d watches)%n",
        startup.total(), startup.of("read"), startup.of("watch"));

    long start = System.nanoTime();
    for (int i = 0; i < clusters; i++) {
      benchClient.resource(cluster(String.format("bench-%03d", i))).inNamespace(namespace).create();
    }
    awaitAllReconciled(benchClient, namespace, clusters);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    Counts reconcile = counter.takeCounts();
    System.out.printf("%n(1) %d clusters to all dependents and status: %d ms (%.1f ms per cluster)%n",
        clusters, took.toMillis(), (double) took.toMillis() / clusters);
    print(reconcile, clusters);

    Thread.sleep(SETTLE.toMillis());
    Counts settling = counter.takeCounts();
    Thread.sleep(steady.toMillis());
    Counts idle = counter.takeCounts();
    double minutes = steady.toMillis() / 60_000.0;
    System.out.printf("%n(2) nothing changes for %d s (after %d s settling, which made %d requests, %d writes):%n",
        steady.toSeconds(), SETTLE.toSeconds(), settling.total(), settling.of("write"));
    System.out.printf("  reads %.1f/min, watches opened %.1f/min, writes %.1f/min%n",
        idle.of("read") / minutes, idle.of("watch") / minutes, idle.of("write") / minutes);
    idle.byKey().forEach((key, n) -> System.out.printf("  %-50s %d%n", key, n));
    System.out.println(idle.of("write") == 0 ? "steady state: no writes (target met)"
        : "steady state: WRITES (target: none)");

    operator.stop();
    benchClient.close();
    operatorClient.close();
    server.destroy();
    System.exit(idle.of("write") == 0 ? 0 : 1);
  }

  private static void print(Counts counts, int clusters) {
    System.out.printf("  operator requests: %d = %.1f per cluster (reads %.1f, watches %d, writes %.1f)%n",
        counts.total(), (double) counts.total() / clusters, (double) counts.of("read") / clusters,
        counts.of("watch"), (double) counts.of("write") / clusters);
    counts.byKey().forEach((key, n) -> System.out.printf("  %-50s %d%n", key, n));
  }

  /** Every cluster has a status on generation 1 and every dependent exists. */
  private static void awaitAllReconciled(KubernetesClient client, String namespace, int clusters)
      throws InterruptedException {
    while (true) {
      long withStatus = client.resources(MetasrvCluster.class).inNamespace(namespace).list().getItems()
          .stream()
          .filter(c -> c.getStatus() != null && Long.valueOf(1).equals(c.getStatus().observedGeneration))
          .count();
      if (withStatus == clusters
          && client.apps().statefulSets().inNamespace(namespace).list().getItems().size() == clusters
          && client.configMaps().inNamespace(namespace).list().getItems().size() == clusters
          && client.services().inNamespace(namespace).list().getItems().size() == 2 * clusters
          && client.serviceAccounts().inNamespace(namespace).list().getItems().size() == clusters
          && client.policy().v1().podDisruptionBudget().inNamespace(namespace).list().getItems().size()
              == clusters) {
        return;
      }
      Thread.sleep(100);
    }
  }

  private static void registerCrds(KubernetesClient client) throws Exception {
    for (String crd : List.of("metasrvclusters.metasrv.io-v1.yml", "maintenancemodes.metasrv.io-v1.yml")) {
      try (InputStream yaml = Files.newInputStream(Path.of("crds", crd))) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource(client.getKubernetesSerialization().unmarshal(yaml, CustomResourceDefinition.class))
            .create();
      }
    }
  }

  private static MetasrvCluster cluster(String name) {
    MetasrvCluster cluster = new MetasrvCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).build());
    MetasrvClusterSpec spec = new MetasrvClusterSpec();
    spec.image = "metasrv:bench";
    spec.backend = new MetasrvClusterSpec.Backend();
    spec.backend.etcd = new MetasrvClusterSpec.Etcd();
    spec.backend.etcd.endpoints = List.of("etcd-0.etcd:2379");
    cluster.setSpec(spec);
    return cluster;
  }
}
