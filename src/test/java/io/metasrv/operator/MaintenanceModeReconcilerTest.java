package io.metasrv.operator;

import static io.metasrv.operator.OperatorHarness.etcdCluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.metasrv.operator.api.v1alpha1.MaintenanceMode;
import io.metasrv.operator.api.v1alpha1.MaintenanceModeSpec;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.maintenance.MaintenanceModeReconciler;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MaintenanceModeReconcilerTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private OperatorHarness harness;

  @BeforeEach
  void start() throws Exception {
    harness = new OperatorHarness();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @ParameterizedTest(name = "deleting {0} first")
  @ValueSource(strings = {"first", "second"})
  void maintenanceStaysOnUntilTheLastRequestIsDeleted(String deletedFirst) throws Exception {
    FakeMetasrvPod[] pods = runningCluster("demo");

    create(maintenance("first", "demo", "upgrading etcd"));
    awaitApplied("first", "True");
    assertThat(pods[0].maintenance()).isTrue();
    create(maintenance("second", "demo", "region migration"));
    awaitApplied("second", "True");

    String deletedLast = deletedFirst.equals("first") ? "second" : "first";
    delete(deletedFirst);
    awaitGone(deletedFirst);
    // The other request still holds it: nothing turns it off, and the rechecks (waited for)
    // keep it on.
    harness.awaitReconciliations(MaintenanceModeReconciler.NAME, 3);
    assertThat(pods[0].maintenance()).isTrue();
    assertThat(applied(deletedLast).getStatus()).isEqualTo("True");

    delete(deletedLast);
    awaitGone(deletedLast);
    assertThat(pods[0].maintenance()).isFalse();
    await().atMost(WAIT).until(() -> Boolean.FALSE.equals(cluster("demo").getStatus().maintenance));
  }

  @Test
  void aNewRequestIsNotAppliedUnderTheLastOldOnesDisable() throws Exception {
    FakeMetasrvPod[] pods = runningCluster("swap");
    create(maintenance("old", "swap", "renamed in Git"));
    awaitApplied("old", "True");

    // A GitOps rename: the old request goes, the new one comes while the "off" is on its way.
    CountDownLatch disableArrived = pods[0].holdNextDisable();
    delete("old");
    assertThat(disableArrived.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    create(maintenance("new", "swap", "renamed in Git"));
    await().atMost(WAIT).until(() -> mode("new") != null
        && !mode("new").getMetadata().getFinalizers().isEmpty()); // its reconcile has begun
    // Its next reconcile reads the flag (still on) and would report it, unless it waits for the
    // cluster's lock as it should: seen waiting, it has not reported.
    await().atMost(WAIT).until(MaintenanceModeReconcilerTest::aReconcileWaitsForTheClusterLock);
    assertThat(applied("new").getStatus())
        .as("Applied reported while the old request's \"off\" is on its way").isNotEqualTo("True");
    pods[0].releaseDisable();

    awaitGone("old");
    awaitApplied("new", "True");
    assertThat(pods[0].maintenance()).as("the flag once the new request reports Applied")
        .isTrue();
  }

  @Test
  void flagTurnedOffBehindTheOperatorsBackIsTurnedOnAgain() throws Exception {
    FakeMetasrvPod[] pods = runningCluster("drift");
    create(maintenance("hold", "drift", null));
    awaitApplied("hold", "True");
    await().atMost(WAIT).until(() -> Boolean.TRUE.equals(cluster("drift").getStatus().maintenance));

    pods[0].setMaintenance(false);

    await().atMost(WAIT).until(pods[0]::maintenance);
    assertThat(applied("hold").getStatus()).isEqualTo("True");
    await().atMost(WAIT).until(() -> harness.client.v1().events().list().getItems().stream()
        .anyMatch(e -> e.getReason().equals("MaintenanceReapplied")
            && e.getInvolvedObject().getName().equals("hold")));
  }

  @Test
  void newLeaderGetsMaintenanceToo() throws Exception {
    FakeMetasrvPod[] pods = runningCluster("moving");
    create(maintenance("hold", "moving", null));
    awaitApplied("hold", "True");

    // The flag is per pod here, as if the new leader had come up from a restart without it.
    pods[2].lead(pods[0], pods[1]);

    await().atMost(WAIT).until(pods[2]::maintenance);
    await().atMost(WAIT).until(() -> applied("hold").getMessage().contains("moving-2"));
  }

  @Test
  void missingClusterIsReportedThenAppliedOnceItRuns() throws Exception {
    MaintenanceModeSpec asked = maintenance("early", "later", "prepare").getSpec();
    create(maintenance("early", "later", "prepare"));

    Condition notApplied = awaitApplied("early", "False");
    assertThat(notApplied.getReason()).isEqualTo("ClusterNotFound");
    assertThat(notApplied.getMessage()).contains("MetasrvCluster later does not exist");

    FakeMetasrvPod[] pods = runningCluster("later");
    awaitApplied("early", "True");
    assertThat(pods[0].maintenance()).isTrue();

    MaintenanceMode stored = mode("early");
    assertThat(stored.getSpec().clusterRef.name).isEqualTo(asked.clusterRef.name);
    assertThat(stored.getSpec().reason).isEqualTo(asked.reason);
    assertThat(stored.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(stored.getStatus().observedGeneration).isEqualTo(1L);
  }

  @Test
  void leaderThatRefusesIsReportedAndDeletionWaitsForIt() throws Exception {
    FakeMetasrvPod[] pods = runningCluster("stuck");
    create(maintenance("hold", "stuck", null));
    awaitApplied("hold", "True");

    pods[0].breakDown();
    pods[1].breakDown();
    pods[2].breakDown();
    await().atMost(WAIT).until(() -> cluster("stuck").getStatus().leader == null);
    assertThat(awaitApplied("hold", "False").getReason()).isEqualTo("NoLeader");

    delete("hold");
    // The clean-up ran and found no leader to turn the flag off at.
    await().atMost(WAIT).until(() -> harness.client.v1().events().list().getItems().stream()
        .anyMatch(e -> e.getReason().equals("MaintenanceNotDisabled")
            && e.getInvolvedObject().getName().equals("hold")));
    assertThat(mode("hold")).as("held by its finalizer until the flag is off").isNotNull();
    assertThat(pods[0].maintenance()).isTrue();

    pods[1].lead(pods[0], pods[2]);
    awaitGone("hold");
    assertThat(pods[1].maintenance()).isFalse();
  }

  @Test
  void deletingARequestForAMissingClusterDoesNotHang() {
    create(maintenance("orphan", "nowhere", null));
    awaitApplied("orphan", "False");

    delete("orphan");
    awaitGone("orphan");
  }

  /**
   * Whether a thread runs MaintenanceModeReconciler.reconcile and is blocked entering a monitor:
   * the cluster's lock, which the held clean-up owns.
   */
  private static boolean aReconcileWaitsForTheClusterLock() {
    return Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(true, false))
        .filter(thread -> thread.getThreadState() == Thread.State.BLOCKED)
        .anyMatch(thread -> Arrays.stream(thread.getStackTrace()).anyMatch(frame ->
            frame.getClassName().equals(MaintenanceModeReconciler.class.getName())
                && frame.getMethodName().equals("reconcile")));
  }

  /** A cluster of three pods whose first pod leads, with its leader in the status. */
  private FakeMetasrvPod[] runningCluster(String name) throws Exception {
    harness.client.resource(etcdCluster(name)).create();
    await().atMost(WAIT).until(
        () -> harness.client.resources(StatefulSet.class).withName(name).get() != null);
    FakeMetasrvPod[] pods = harness.startPods(name, 3);
    pods[0].lead(pods[1], pods[2]);
    for (int i = 0; i < pods.length; i++) {
      harness.createPod(name, name + "-" + i);
    }
    await().atMost(WAIT).until(() -> {
      var status = cluster(name).getStatus();
      return status != null && status.leader != null && Objects.equals(status.leader.pod, name + "-0");
    });
    return pods;
  }

  private static MaintenanceMode maintenance(String name, String cluster, String reason) {
    MaintenanceMode mode = new MaintenanceMode();
    mode.setMetadata(new ObjectMetaBuilder().withName(name).build());
    MaintenanceModeSpec spec = new MaintenanceModeSpec();
    spec.clusterRef = new MaintenanceModeSpec.ClusterRef();
    spec.clusterRef.name = cluster;
    spec.reason = reason;
    mode.setSpec(spec);
    return mode;
  }

  private void create(MaintenanceMode mode) {
    harness.client.resource(mode).create();
  }

  private void delete(String name) {
    harness.client.resources(MaintenanceMode.class).withName(name).delete();
  }

  private void awaitGone(String name) {
    await().atMost(WAIT).until(() -> mode(name) == null);
  }

  private MaintenanceMode mode(String name) {
    return harness.client.resources(MaintenanceMode.class).withName(name).get();
  }

  private MetasrvCluster cluster(String name) {
    return harness.client.resources(MetasrvCluster.class).withName(name).get();
  }

  private Condition applied(String name) {
    MaintenanceMode mode = mode(name);
    if (mode == null || mode.getStatus() == null) {
      return new Condition();
    }
    return mode.getStatus().conditions.stream()
        .filter(c -> c.getType().equals("Applied"))
        .findFirst()
        .orElse(new Condition());
  }

  private Condition awaitApplied(String name, String status) {
    return await().atMost(WAIT).until(() -> applied(name), c -> status.equals(c.getStatus()));
  }
}
