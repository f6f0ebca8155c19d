package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watch of the election Lease on the mock API server, and how it comes back. */
class LeaseWatchTest {
  private static final String NAME = "metasrv-election";
  private static final Duration RETRY_PERIOD = Duration.ofMillis(500);

  private final MockApiServer api = new MockApiServer();
  private final KubernetesClient admin = api.client();
  private final TcpProxy proxy;
  private final KubernetesClient client;
  private final LeaseWatch watch;
  private final List<String> events = new CopyOnWriteArrayList<>();

  LeaseWatchTest() throws IOException {
    proxy = new TcpProxy(api.port());
    client = MockApiServer.client(proxy.url(), RETRY_PERIOD);
    watch = new LeaseWatch(new LeaseCalls(client, MockApiServer.NAMESPACE, Clock.systemUTC()),
        NAME, RETRY_PERIOD, (action, lease) -> events.add(action + " "
            + lease.getSpec().getHolderIdentity()));
  }

  @AfterEach
  void stop() throws IOException {
    watch.close();
    client.close();
    proxy.close();
    admin.close();
    api.close();
  }

  private Lease write(String holder) {
    Lease current = admin.leases().inNamespace(MockApiServer.NAMESPACE).withName(NAME).get();
    Lease next = new LeaseBuilder(current == null ? new Lease() : current)
        .editOrNewMetadata().withName(NAME).withNamespace(MockApiServer.NAMESPACE).endMetadata()
        .editOrNewSpec().withHolderIdentity(holder).endSpec()
        .build();
    return current == null
        ? admin.leases().inNamespace(MockApiServer.NAMESPACE).resource(next).create()
        : admin.leases().inNamespace(MockApiServer.NAMESPACE).resource(next).update();
  }

  @Test
  void everyChangeOfTheLeaseIsReportedInOrder() {
    watch.start();
    await("the watch to open").atMost(Duration.ofSeconds(10)).until(watch::isOpen);

    write("a");
    write("b");
    write(null);
    admin.leases().inNamespace(MockApiServer.NAMESPACE).withName(NAME).delete();

    await("four events").atMost(Duration.ofSeconds(10))
        .until(() -> events.size() >= 4);
    assertThat(events).containsExactly("ADDED a", "MODIFIED b", "MODIFIED null",
        "DELETED null");
  }

  @Test
  void watchWhoseConnectionDroppedReportsChangesAgain() throws IOException {
    watch.start();
    await("the watch to open").atMost(Duration.ofSeconds(10)).until(watch::isOpen);
    write("before");
    await("the first change").atMost(Duration.ofSeconds(10))
        .until(() -> events.contains("ADDED before"));

    proxy.cut();
    // the freed port may be taken for a moment by a client's outgoing connection
    await("the proxy to listen again").atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> {
          proxy.heal();
          return true;
        });
    write("after");

    // fabric8 reconnects with a backoff, or gives up and the watch is opened again
    await("the change after the drop").atMost(Duration.ofSeconds(60))
        .until(() -> events.stream().anyMatch(event -> event.endsWith(" after")));
  }
}
