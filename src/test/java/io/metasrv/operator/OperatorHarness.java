package io.metasrv.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.metasrv.operator.admin.HttpPodAdminApi;
import io.metasrv.operator.admin.PodAdminAddresses;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator in-process against fabric8's mock API server in CRUD mode, with our CRDs
 * registered (so {@code /status} is a subresource) and server-side apply off, as the mock has
 * none. Pods' admin APIs are looked up in {@link #fakePods} by pod name.
 */
final class OperatorHarness implements AutoCloseable {
  static final Duration OBSERVE_INTERVAL = Duration.ofMillis(300);

  final KubernetesMockServer server =
      new KubernetesMockServer(
          new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
  final NamespacedKubernetesClient client;
  final Map<String, FakeMetasrvPod> fakePods = new ConcurrentHashMap<>();
  private final Operator operator;

  OperatorHarness() throws IOException {
    server.init();
    client = server.createClient();
    for (String crd : new String[] {"metasrvclusters.metasrv.io-v1.yml", "maintenancemodes.metasrv.io-v1.yml"}) {
      try (InputStream yaml = Files.newInputStream(Path.of("crds", crd))) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource(client.getKubernetesSerialization().unmarshal(yaml, CustomResourceDefinition.class))
            .create();
      }
    }
    PodAdminAddresses toFakes =
        (pod, httpPort) ->
            Optional.ofNullable(fakePods.get(pod.getMetadata().getName())).map(FakeMetasrvPod::uri);
    operator =
        MetasrvOperator.create(
            client,
            new OperatorSettings(Set.of(), false, OBSERVE_INTERVAL),
            new HttpPodAdminApi(),
            toFakes,
            Clock.systemUTC());
    operator.start();
  }

  String namespace() {
    return client.getNamespace();
  }


  @Override
  public void close() {
    operator.stop();
    fakePods.values().forEach(FakeMetasrvPod::close);
    client.close();
    server.destroy();
  }
}
