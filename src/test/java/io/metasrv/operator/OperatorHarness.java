package io.metasrv.operator;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.metasrv.operator.admin.HttpPodAdminApi;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.model.ClusterNames;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator in-process against fabric8's mock API server in CRUD mode, with our CRDs
 * registered (so {@code /status} is a subresource) and server-side apply off, as the mock has
 * none. Pods' admin APIs are looked up in {@link #fakePods} by pod name.
 */
final class OperatorHarness implements AutoCloseable {
  static final Duration OBSERVE_INTERVAL = Duration.ofMillis(300);

  private final Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
  // CRUD, plus the one answer the CRUD mode cannot give: JOSDK's leader election first asks, by a
  // SelfSubjectRulesReview, whether it may use Leases.
  final KubernetesMockServer server =
      new KubernetesMockServer(
          new Context(), new MockWebServer(), expectations,
          new KubernetesMixedDispatcher(expectations), false);
  final NamespacedKubernetesClient client;
  final Map<String, FakeMetasrvPod> fakePods = new ConcurrentHashMap<>();
  private final SimpleMeterRegistry reconciles = new SimpleMeterRegistry();
  private final List<Operator> operators = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** With one operator running, without leader election. */
  OperatorHarness() throws IOException {
    this(true);
  }

  /** With no operator yet: the test starts its own with {@link #newOperator}. */
  static OperatorHarness withoutOperator() throws IOException {
    return new OperatorHarness(false);
  }

  private OperatorHarness(boolean startOperator) throws IOException {
    server.init();
    server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, new SelfSubjectRulesReviewBuilder()
            .withNewStatus()
            .addNewResourceRule().withApiGroups("*").withResources("*").withVerbs("*").endResourceRule()
            .endStatus()
            .build())
        .always();
    client = server.createClient();
    for (String crd : new String[] {"metasrvclusters.metasrv.io-v1.yml", "maintenancemodes.metasrv.io-v1.yml"}) {
      try (InputStream yaml = Files.newInputStream(Path.of("crds", crd))) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource(client.getKubernetesSerialization().unmarshal(yaml, CustomResourceDefinition.class))
            .create();
      }
    }
    if (startOperator) {
      newOperator(new ReconcileMetrics(reconciles), Optional.empty()).start();
    }
  }

  /**
   * How many reconciliations (and clean-ups) of this controller have finished: a test that asserts
   * that nothing changed first waits for this to grow, so that it knows the operator looked.
   */
  long reconciliations(String controller) {
    return reconciles.find(ReconcileMetrics.RECONCILE).tag("controller", controller).timers().stream()
        .mapToLong(Timer::count)
        .sum();
  }

  /** Waits until {@code count} more reconciliations of the controller have finished. */
  void awaitReconciliations(String controller, int count) {
    long target = reconciliations(controller) + count;
    await().atMost(Duration.ofSeconds(20))
        .until(() -> reconciliations(controller) >= target);
  }

  /** An operator on this server, not started; closing the harness stops it. */
  Operator newOperator(Metrics metrics, Optional<LeaderElectionConfiguration> leaderElection) {
    PodAdminAddresses toFakes =
        (pod, httpPort) ->
            Optional.ofNullable(fakePods.get(pod.getMetadata().getName())).map(FakeMetasrvPod::uri);
    Operator operator =
        MetasrvOperator.create(
            client,
            new OperatorSettings(Set.of(), false, OBSERVE_INTERVAL),
            new HttpPodAdminApi(),
            toFakes,
            Clock.systemUTC(),
            metrics,
            leaderElection);
    operators.add(operator);
    return operator;
  }

  String namespace() {
    return client.getNamespace();
  }

  /** A valid cluster on etcd with the schema's defaults left out, as a user would write it. */
  static MetasrvCluster etcdCluster(String name) {
    MetasrvCluster cluster = new MetasrvCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).build());
    MetasrvClusterSpec spec = new MetasrvClusterSpec();
    spec.image = "metasrv:test";
    spec.backend = new MetasrvClusterSpec.Backend();
    spec.backend.etcd = new MetasrvClusterSpec.Etcd();
    spec.backend.etcd.endpoints = List.of("etcd-0.etcd:2379", "etcd-1.etcd:2379");
    cluster.setSpec(spec);
    return cluster;
  }

  /** A pod of the cluster as its StatefulSet would make it; there is no kubelet here. */
  void createPod(String cluster, String name) {
    ClusterNames names = new ClusterNames(cluster, namespace());
    client.pods().resource(new PodBuilder()
        .withNewMetadata().withName(name).withLabels(names.labels()).endMetadata()
        .withNewSpec().addNewContainer().withName("metasrv").withImage("metasrv:test").endContainer().endSpec()
        .withNewStatus().withPodIP("10.0.0.1").endStatus()
        .build()).create();
  }

  /** Pods named {@code cluster-0..n-1}, each with a fake admin API and its pod object. */
  FakeMetasrvPod[] startPods(String cluster, int count) throws IOException {
    FakeMetasrvPod[] pods = new FakeMetasrvPod[count];
    for (int i = 0; i < count; i++) {
      String name = cluster + "-" + i;
      pods[i] = new FakeMetasrvPod(name + "." + cluster + "-peers." + namespace() + ".svc:3002");
      fakePods.put(name, pods[i]);
    }
    return pods;
  }


  @Override
  public void close() {
    operators.forEach(Operator::stop);
    fakePods.values().forEach(FakeMetasrvPod::close);
    client.close();
    server.destroy();
  }
}
