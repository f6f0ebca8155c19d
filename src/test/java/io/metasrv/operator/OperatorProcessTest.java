package io.metasrv.operator;

import static io.metasrv.operator.OperatorHarness.etcdCluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two replicas with leader election, their probes and metrics, on the mock API server. */
class OperatorProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final HttpClient http = HttpClient.newHttpClient();
  private OperatorHarness harness;
  private final Replica[] replicas = new Replica[2];

  @BeforeEach
  void start() throws Exception {
    harness = OperatorHarness.withoutOperator();
    for (int i = 0; i < replicas.length; i++) {
      replicas[i] = new Replica("replica-" + i);
    }
  }

  @AfterEach
  void stop() {
    for (Replica replica : replicas) {
      replica.health.close();
    }
    harness.close();
  }

  @Test
  void onlyTheLeaseHolderReconcilesAndTheOtherTakesOverWhenItStops() throws Exception {
    for (Replica replica : replicas) {
      replica.operator.start();
    }
    await().atMost(WAIT).until(() -> replicas[0].leadership.leading() || replicas[1].leadership.leading());
    Replica leader = replicas[0].leadership.leading() ? replicas[0] : replicas[1];
    Replica standby = leader == replicas[0] ? replicas[1] : replicas[0];
    assertThat(standby.leadership.leading()).isFalse();
    assertThat(harness.client.leases().withName("metasrv-operator").get().getSpec().getHolderIdentity())
        .isEqualTo(leader.name);

    harness.client.resource(etcdCluster("first")).create();
    awaitStatefulSet("first");
    assertThat(get(standby, "/readyz")).isEqualTo("200 standby\n");
    await().atMost(WAIT).until(() -> get(leader, "/readyz").equals("200 ok\n"));
    assertThat(get(leader, "/healthz")).isEqualTo("200 ok\n");
    assertThat(get(leader, "/metrics"))
        .contains("metasrv_operator_reconcile_seconds_count{controller=\"metasrvcluster\"");
    assertThat(get(standby, "/metrics")).doesNotContain("metasrv_operator_reconcile_seconds_count");

    leader.operator.stop();
    await().atMost(WAIT).until(standby.leadership::leading);
    harness.client.resource(etcdCluster("second")).create();
    awaitStatefulSet("second");
  }

  private void awaitStatefulSet(String name) {
    await().atMost(WAIT).until(() -> harness.client.resources(StatefulSet.class).withName(name).get() != null);
  }

  private String get(Replica replica, String path) throws Exception {
    InetSocketAddress address = replica.health.address();
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.statusCode() + " " + response.body();
  }

  /** One operator replica: its own leadership, metrics and health server. */
  private final class Replica {
    final String name;
    final OperatorLeadership leadership = OperatorLeadership.elected();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Operator operator;
    final OperatorHealthServer health;

    Replica(String name) throws Exception {
      this.name = name;
      LeaderElectionSettings election = new LeaderElectionSettings(
          "metasrv-operator", Optional.of(harness.namespace()), Optional.of(name),
          Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(500));
      operator = harness.newOperator(
          new ReconcileMetrics(registry),
          Optional.of(election.configuration(leadership.callbacks(() -> {}))));
      health = OperatorHealthServer.start(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), operator, leadership, registry);
    }
  }
}
