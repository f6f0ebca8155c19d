package io.metasrv.operator;

import static io.metasrv.operator.OperatorHarness.etcdCluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterStatus;
import io.metasrv.operator.cluster.MetasrvClusterReconciler;
import io.metasrv.operator.model.ClusterNames;
import io.metasrv.operator.rollout.RolloutPlanner;
import io.metasrv.operator.status.ClusterEvents;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetasrvClusterReconcilerTest {
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

  @Test
  void appliedClusterGetsEveryDependentOwnedByIt() {
    MetasrvCluster cluster = apply(etcdCluster("demo"));

    StatefulSet sts = awaitObject(StatefulSet.class, "demo");
    ConfigMap config = awaitObject(ConfigMap.class, "demo-config");
    Service client = awaitObject(Service.class, "demo");
    Service peers = awaitObject(Service.class, "demo-peers");
    ServiceAccount account = awaitObject(ServiceAccount.class, "demo");
    PodDisruptionBudget pdb = awaitObject(PodDisruptionBudget.class, "demo");
    for (HasMetadata owned : List.of(sts, config, client, peers, account, pdb)) {
      assertThat(owned.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(ref -> {
            assertThat(ref.getKind()).isEqualTo("MetasrvCluster");
            assertThat(ref.getUid()).isEqualTo(cluster.getMetadata().getUid());
          });
    }

    assertThat(config.getData().get("config.toml"))
        .contains("bind_addr = \"0.0.0.0:3002\"")
        .contains("store_addrs = [\"etcd-0.etcd:2379\", \"etcd-1.etcd:2379\"]")
        .contains("backend = \"etcd_store\"")
        .contains("addr = \"0.0.0.0:4000\"");
    var pod = sts.getSpec().getTemplate();
    var container = pod.getSpec().getContainers().get(0);
    assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
    assertThat(sts.getSpec().getServiceName()).isEqualTo("demo-peers");
    assertThat(container.getImage()).isEqualTo("metasrv:test");
    assertThat(container.getArgs())
        .containsSubsequence(
            "--server-addr", "$(POD_NAME).demo-peers." + harness.namespace() + ".svc:3002");
    assertThat(container.getEnv())
        .anySatisfy(e -> {
          assertThat(e.getName()).isEqualTo("POD_NAME");
          assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        });
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    // Liveness asks the route that answers while the JVM serves, whatever the store says.
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/admin/health");
    assertThat(container.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    // The operator replaces the pods in its own order.
    assertThat(sts.getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
    assertThat(pod.getMetadata().getAnnotations()).containsKey(ClusterNames.CONFIG_HASH_ANNOTATION);
    assertThat(peers.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    // Backend-native election: the pods get no API access.
    assertThat(get(Role.class, "demo-election")).isEmpty();
    // No finalizer (the reconciler is no Cleaner): the operator's RBAC has no patch or update on
    // metasrvclusters, only on their status.
    assertThat(get(MetasrvCluster.class, "demo").orElseThrow().getMetadata().getFinalizers())
        .isNullOrEmpty();

    await().atMost(WAIT).untilAsserted(() -> assertThat(events(cluster, "Created"))
        .extracting(Event::getMessage)
        .contains("StatefulSet demo created", "ConfigMap demo-config created", "Service demo-peers created"));
    assertThat(events(cluster, "Created")).allSatisfy(e -> assertThat(e.getType()).isEqualTo("Normal"));
  }

  @Test
  void leaseElectionGetsExactlyLeaseAccess() {
    MetasrvCluster cluster = etcdCluster("lease");
    cluster.getSpec().election = MetasrvClusterSpec.ElectionKind.KUBERNETES_LEASE;
    apply(cluster);

    Role role = awaitObject(Role.class, "lease-election");
    // What LeaseCalls does, and no more: create the election Lease and the candidates', list the
    // candidates and watch the election Lease (unnamed: the authorizer knows no name for these);
    // get, renew (a PUT, no patch) and watch the election Lease by name; get and renew a
    // candidate; delete the candidate Leases of crashed nodes.
    assertThat(role.getRules()).allSatisfy(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
      assertThat(rule.getResources()).containsExactly("leases");
    });
    assertThat(role.getRules())
        .extracting(rule -> rule.getResourceNames(), rule -> rule.getVerbs())
        .containsExactly(
            tuple(List.of(), List.of("create", "list", "watch")),
            tuple(List.of("lease-leader"), List.of("get", "update", "watch")),
            tuple(List.of(), List.of("get", "update")),
            tuple(List.of(), List.of("delete")));
    assertThat(role.getRules().stream().flatMap(rule -> rule.getVerbs().stream()).distinct())
        .containsExactlyInAnyOrderElementsOf(RbacManifestTest.ELECTION_ROLE_VERBS);
    RoleBinding binding = awaitObject(RoleBinding.class, "lease-election");
    assertThat(binding.getSubjects()).singleElement()
        .satisfies(s -> assertThat(s.getName()).isEqualTo("lease"));
    assertThat(awaitObject(ConfigMap.class, "lease-config").getData().get("config.toml"))
        .contains("[election]\nkind = \"kubernetes-lease\"\nlease_name = \"lease-leader\"");
  }

  @Test
  void changingOptionsRollsThePodsAndReplicasScale() {
    apply(etcdCluster("roll"));
    String hashBefore = configHash(awaitObject(StatefulSet.class, "roll"));

    edit("roll", c -> {
      c.getSpec().options = new MetasrvClusterSpec.Options();
      c.getSpec().options.overrides = Map.of("procedure.max_retry_times", "7");
      c.getSpec().replicas = 5;
    });

    await().atMost(WAIT).untilAsserted(() -> {
      StatefulSet sts = get(StatefulSet.class, "roll").orElseThrow();
      assertThat(sts.getSpec().getReplicas()).isEqualTo(5);
      assertThat(configHash(sts)).isNotEqualTo(hashBefore);
      assertThat(get(ConfigMap.class, "roll-config").orElseThrow().getData().get("config.toml"))
          .contains("max_retry_times = 7");
    });
    MetasrvCluster cluster = harness.client.resources(MetasrvCluster.class).withName("roll").get();
    await().atMost(WAIT).untilAsserted(() -> assertThat(events(cluster, "Updated"))
        .extracting(Event::getMessage)
        .contains("StatefulSet roll updated", "ConfigMap roll-config updated"));
  }

  @Test
  void deletedOrEditedDependentsAreRestored() {
    apply(etcdCluster("drift"));
    awaitObject(Service.class, "drift");
    ConfigMap config = awaitObject(ConfigMap.class, "drift-config");

    harness.client.services().withName("drift").delete();
    harness.client.configMaps().withName("drift-config")
        .edit(cm -> { cm.getData().put("config.toml", "tampered"); return cm; });

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(get(Service.class, "drift")).isPresent();
      assertThat(get(ConfigMap.class, "drift-config").orElseThrow().getData())
          .isEqualTo(config.getData());
    });
  }

  @Test
  void invalidOptionStallsNamingTheFieldUntilFixed() {
    apply(etcdCluster("bad"));
    StatefulSet applied = awaitObject(StatefulSet.class, "bad");

    edit("bad", c -> {
      c.getSpec().options = new MetasrvClusterSpec.Options();
      c.getSpec().options.overrides = Map.of("procedure.max_retry_tims", "7");
      c.getSpec().replicas = 4;
    });
    MetasrvClusterStatus stalled = awaitCondition("bad", "Stalled", "True");
    assertThat(condition(stalled, "Stalled").getMessage())
        .contains("spec.options.overrides[procedure.max_retry_tims]");
    assertThat(condition(stalled, "Ready").getStatus()).isEqualTo("False");
    // Nothing of the invalid spec reached the StatefulSet, not even the valid replicas change.
    assertThat(get(StatefulSet.class, "bad").orElseThrow().getSpec())
        .isEqualTo(applied.getSpec());

    edit("bad", c -> c.getSpec().options.overrides = Map.of("procedure.max_retry_times", "7"));
    awaitCondition("bad", "Stalled", "False");
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(get(StatefulSet.class, "bad").orElseThrow().getSpec().getReplicas()).isEqualTo(4));
    // The spec is the user's alone: no defaults written back, nothing rewritten.
    MetasrvClusterSpec stored =
        harness.client.resources(MetasrvCluster.class).withName("bad").get().getSpec();
    assertThat(stored.ports).isNull();
    assertThat(stored.election).isNull();
    assertThat(stored.replicas).isEqualTo(4);
    assertThat(stored.options.overrides).containsExactly(Map.entry("procedure.max_retry_times", "7"));
  }

  @Test
  void aStalledClusterStillReportsWhoLeadsItsRunningPods() throws Exception {
    apply(etcdCluster("held"));
    awaitObject(StatefulSet.class, "held");
    FakeMetasrvPod[] pods = harness.startPods("held", 3);
    pods[0].lead(pods[1], pods[2]);
    for (int i = 0; i < 3; i++) {
      harness.createPod("held", "held-" + i);
    }
    awaitStatus("held", s -> s.leader != null && "held-0".equals(s.leader.pod));

    edit("held", c -> {
      c.getSpec().options = new MetasrvClusterSpec.Options();
      c.getSpec().options.overrides = Map.of("procedure.max_retry_tims", "7");
    });
    awaitCondition("held", "Stalled", "True");
    pods[1].lead(pods[0], pods[2]);
    pods[2].breakDown();

    MetasrvClusterStatus stalled = awaitStatus("held",
        s -> s.leader != null && "held-1".equals(s.leader.pod));
    assertThat(condition(stalled, "Stalled").getStatus()).isEqualTo("True");
    assertThat(stalled.readyReplicas).isEqualTo(2);
    assertThat(stalled.leader.address)
        .isEqualTo("held-1.held-peers." + harness.namespace() + ".svc:3002");
    MetasrvCluster cluster = harness.client.resources(MetasrvCluster.class).withName("held").get();
    assertThat(events(cluster, "LeaderChanged")).extracting(Event::getMessage)
        .contains("leader is now held-1 (was held-0)");
  }

  @Test
  void aLeaderChangedEventNamesTheLeaderBeforeEvenAcrossObservationsWithNone() throws Exception {
    apply(etcdCluster("gap"));
    awaitObject(StatefulSet.class, "gap");
    FakeMetasrvPod[] pods = harness.startPods("gap", 2);
    pods[0].lead(pods[1]);
    for (int i = 0; i < 2; i++) {
      harness.createPod("gap", "gap-" + i);
    }
    awaitStatus("gap", s -> s.leader != null && "gap-0".equals(s.leader.pod));

    pods[0].stepDown();
    pods[1].stepDown();
    awaitStatus("gap", s -> s.leader == null);
    pods[0].lead(pods[1]);
    awaitStatus("gap", s -> s.leader != null && "gap-0".equals(s.leader.pod));
    pods[0].stepDown();
    pods[1].stepDown();
    awaitStatus("gap", s -> s.leader == null);
    pods[1].lead(pods[0]);
    awaitStatus("gap", s -> s.leader != null && "gap-1".equals(s.leader.pod));

    MetasrvCluster cluster = harness.client.resources(MetasrvCluster.class).withName("gap").get();
    assertThat(events(cluster, "LeaderChanged")).extracting(Event::getMessage)
        .containsExactlyInAnyOrder("leader is now gap-0", "leader is now gap-1 (was gap-0)");
  }

  @Test
  void replicasBelowOneStall() {
    MetasrvCluster cluster = etcdCluster("zero");
    cluster.getSpec().replicas = 0;
    cluster = apply(cluster);

    MetasrvClusterStatus status = awaitCondition("zero", "Stalled", "True");
    assertThat(condition(status, "Stalled").getMessage()).contains("spec.replicas");
    assertThat(events(cluster, "InvalidSpec")).singleElement().satisfies(e -> {
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getMessage()).contains("spec.replicas");
    });
    assertThat(status.observedGeneration).isEqualTo(1L);
    assertThat(get(StatefulSet.class, "zero")).isEmpty();
    assertThat(get(ConfigMap.class, "zero-config")).isEmpty();
  }

  @Test
  void aNameTheServicesCannotCarryStallsAndNothingIsCreated() {
    // A valid name for the custom resource (a DNS subdomain), not for a Service (a DNS-1035 label).
    MetasrvCluster cluster = apply(etcdCluster("bad.name"));

    MetasrvClusterStatus status = awaitCondition("bad.name", "Stalled", "True");
    assertThat(condition(status, "Stalled").getMessage()).contains("metadata.name");
    assertThat(events(cluster, "InvalidSpec")).singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("metadata.name"));
    assertThat(get(ConfigMap.class, "bad.name-config")).isEmpty();
    assertThat(get(ServiceAccount.class, "bad.name")).isEmpty();
    assertThat(get(Service.class, "bad.name-peers")).isEmpty();
    assertThat(get(StatefulSet.class, "bad.name")).isEmpty();
  }

  @Test
  void aMemoryClusterIsOnePodAndScalingItUpStallsNamingReplicas() {
    MetasrvCluster cluster = etcdCluster("dev");
    cluster.getSpec().backend = new MetasrvClusterSpec.Backend();
    cluster.getSpec().backend.memory = new MetasrvClusterSpec.Memory();
    cluster.getSpec().replicas = 1;
    apply(cluster);

    StatefulSet applied = awaitObject(StatefulSet.class, "dev");
    assertThat(applied.getSpec().getReplicas()).isEqualTo(1);
    assertThat(applied.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .extracting(e -> e.getName())
        .containsExactly("POD_NAME", "POD_NAMESPACE");
    assertThat(awaitObject(ConfigMap.class, "dev-config").getData().get("config.toml"))
        .contains("\nbackend = \"memory_store\"\n")
        .contains("\nuse_memory_store = true\n");
    assertThat(get(Role.class, "dev-election")).isEmpty();
    MetasrvClusterStatus status = awaitStatus("dev", s -> s.backend != null);
    assertThat(status.backend).isEqualTo("memory");
    // The spec went through the API server and back: memory: {} is still there.
    assertThat(harness.client.resources(MetasrvCluster.class).withName("dev").get()
        .getSpec().backend.memory).isNotNull();

    // What kubectl scale --replicas=2 stores through the scale subresource (spec.replicas); an
    // API server running the CRD's CEL rules refuses it, an older CRD lets it through to us.
    edit("dev", c -> c.getSpec().replicas = 2);
    MetasrvClusterStatus stalled = awaitCondition("dev", "Stalled", "True");
    assertThat(condition(stalled, "Stalled").getMessage())
        .contains("spec.replicas")
        .contains("spec.backend.memory");
    assertThat(get(StatefulSet.class, "dev").orElseThrow().getSpec().getReplicas()).isEqualTo(1);

    edit("dev", c -> c.getSpec().replicas = 1);
    awaitCondition("dev", "Stalled", "False");
  }

  @Test
  void postgresCredentialsComeFromTheSecretOnly() {
    apply(postgresCluster("pg", "pg-login"));

    MetasrvClusterStatus stalled = awaitCondition("pg", "Stalled", "True");
    assertThat(condition(stalled, "Stalled").getMessage())
        .contains("spec.backend.postgres.credentialsSecret.name")
        .contains("pg-login does not exist");

    // Fixing the spec: point it at a Secret that exists.
    harness.client.secrets().resource(new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("pg-login-2").build())
        .withStringData(Map.of("username", "meta", "password", "s3cret"))
        .build()).create();
    edit("pg", c -> c.getSpec().backend.postgres.credentialsSecret.name = "pg-login-2");
    awaitCondition("pg", "Stalled", "False");

    ConfigMap config = awaitObject(ConfigMap.class, "pg-config");
    assertThat(config.getData().get("config.toml"))
        .contains("store_addrs = [\"host=db port=5432 dbname=meta\"]")
        .contains("[backend_auth]")
        .contains("password_file = \"/etc/metasrv/store-credentials/password\"")
        .doesNotContain("s3cret")
        .doesNotContain("user=");
    var pod = awaitObject(StatefulSet.class, "pg").getSpec().getTemplate().getSpec();
    var container = pod.getContainers().get(0);
    assertThat(container.getEnv()).extracting(e -> e.getName())
        .containsExactly("POD_NAME", "POD_NAMESPACE", "GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME");
    assertThat(container.getEnv().get(2).getValueFrom().getSecretKeyRef())
        .satisfies(ref -> {
          assertThat(ref.getName()).isEqualTo("pg-login-2");
          assertThat(ref.getKey()).isEqualTo("username");
        });
    assertThat(pod.getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement()
        .satisfies(volume -> {
          assertThat(volume.getSecret().getSecretName()).isEqualTo("pg-login-2");
          assertThat(volume.getSecret().getItems()).singleElement().satisfies(item -> {
            assertThat(item.getKey()).isEqualTo("password");
            assertThat(item.getPath()).isEqualTo("password");
          });
          assertThat(container.getVolumeMounts())
              .anySatisfy(mount -> {
                assertThat(mount.getName()).isEqualTo(volume.getName());
                assertThat(mount.getMountPath()).isEqualTo("/etc/metasrv/store-credentials");
                assertThat(mount.getReadOnly()).isTrue();
              });
        });

    // Credentials in the options would put them in the spec: refused, pointing at the Secret.
    edit("pg", c -> {
      c.getSpec().options = new MetasrvClusterSpec.Options();
      c.getSpec().options.overrides = Map.of("backend_auth.password", "s3cret");
    });
    MetasrvClusterStatus refused = awaitCondition("pg", "Stalled", "True");
    assertThat(condition(refused, "Stalled").getMessage())
        .contains("spec.options.overrides[backend_auth.password]")
        .contains("spec.backend.postgres.credentialsSecret")
        .doesNotContain("s3cret");
    assertThat(get(ConfigMap.class, "pg-config").orElseThrow().getData().get("config.toml"))
        .doesNotContain("s3cret");
  }

  @Test
  void statusReportsReadinessAndLeaderFromThePods() throws Exception {
    apply(etcdCluster("live"));
    awaitObject(StatefulSet.class, "live");
    FakeMetasrvPod[] pods = harness.startPods("live", 3);
    pods[0].lead(pods[1], pods[2]);
    pods[2].breakDown();
    for (int i = 0; i < 3; i++) {
      harness.createPod("live", "live-" + i);
    }

    MetasrvClusterStatus partial = awaitStatus(
        "live", s -> Integer.valueOf(3).equals(s.replicas) && Integer.valueOf(2).equals(s.readyReplicas));
    assertThat(condition(partial, "Ready").getStatus()).isEqualTo("False");
    assertThat(condition(partial, "Reconciling").getStatus()).isEqualTo("True");
    assertThat(partial.leader.pod).isEqualTo("live-0");
    assertThat(partial.replicas).isEqualTo(3);

    pods[1].lead(pods[0], pods[2]);
    MetasrvClusterStatus ready = awaitStatus("live", s -> "live-1".equals(s.leader == null ? null : s.leader.pod)
        && s.readyReplicas == 3);
    assertThat(condition(ready, "Ready").getStatus()).isEqualTo("True");
    assertThat(condition(ready, "Reconciling").getStatus()).isEqualTo("False");
    assertThat(ready.leader.address).isEqualTo("live-1.live-peers." + harness.namespace() + ".svc:3002");
    assertThat(ready.maintenance).isFalse();
    assertThat(ready.selector).isEqualTo("app.kubernetes.io/name=metasrv,app.kubernetes.io/instance=live");
    assertThat(ready.backend).isEqualTo("etcd");
    MetasrvCluster cluster = harness.client.resources(MetasrvCluster.class).withName("live").get();
    assertThat(events(cluster, "LeaderChanged"))
        .extracting(Event::getMessage)
        .containsExactlyInAnyOrder("leader is now live-0", "leader is now live-1 (was live-0)");
    String readySince = condition(ready, "Ready").getLastTransitionTime();

    // Nothing changes: once the operator has looked again, nothing is written and the
    // transition time stays.
    harness.awaitReconciliations(MetasrvClusterReconciler.NAME, 3);
    MetasrvCluster later = harness.client.resources(MetasrvCluster.class).withName("live").get();
    assertThat(condition(later.getStatus(), "Ready").getLastTransitionTime()).isEqualTo(readySince);
    assertThat(later.getStatus()).isEqualTo(ready);
  }

  @Test
  void creatingOrFixingTheSecretRevalidatesWithoutASpecChange() {
    apply(postgresCluster("late", "late-login"));
    MetasrvClusterStatus missing = awaitCondition("late", "Stalled", "True");
    assertThat(condition(missing, "Stalled").getMessage()).contains("late-login does not exist");

    harness.client.secrets().resource(new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("late-login").build())
        .withData(Map.of("username", "bWV0YQ=="))
        .build()).create();
    awaitStatus("late", s -> condition(s, "Stalled").getMessage().contains("late-login has no key password"));

    harness.client.secrets().withName("late-login").edit(secret -> {
      secret.getData().put("password", "czNjcmV0");
      return secret;
    });
    MetasrvClusterStatus applied = awaitCondition("late", "Stalled", "False");
    awaitObject(StatefulSet.class, "late");
    awaitObject(ConfigMap.class, "late-config");
    MetasrvCluster stored = harness.client.resources(MetasrvCluster.class).withName("late").get();
    assertThat(stored.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(applied.observedGeneration).isEqualTo(1L);
  }

  @Test
  void aNewVersionOfAReferencedSecretRollsThePods() {
    harness.client.secrets().resource(new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("rotating-login").build())
        .withData(Map.of("username", "bWV0YQ==", "password", "b2xk"))
        .build()).create();
    apply(postgresCluster("rotating", "rotating-login"));
    String before = awaitObject(StatefulSet.class, "rotating").getSpec().getTemplate()
        .getMetadata().getAnnotations().get(ClusterNames.SECRET_VERSIONS_ANNOTATION);
    String configHash = get(StatefulSet.class, "rotating").orElseThrow().getSpec().getTemplate()
        .getMetadata().getAnnotations().get(ClusterNames.CONFIG_HASH_ANNOTATION);
    assertThat(before).startsWith("rotating-login=");

    harness.client.secrets().withName("rotating-login").edit(secret -> {
      secret.getData().put("password", "bmV3");
      return secret;
    });
    String version = harness.client.secrets().withName("rotating-login").get().getMetadata()
        .getResourceVersion();
    await().atMost(WAIT).untilAsserted(() -> assertThat(get(StatefulSet.class, "rotating")
        .orElseThrow().getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(ClusterNames.SECRET_VERSIONS_ANNOTATION, "rotating-login=" + version)
        .containsEntry(ClusterNames.CONFIG_HASH_ANNOTATION, configHash));
    assertThat(version).isNotEqualTo(before.substring("rotating-login=".length()));
    assertThat(get(StatefulSet.class, "rotating").orElseThrow().toString())
        .as("no value of the Secret in the StatefulSet").doesNotContain("bmV3", "b2xk");
  }

  @Test
  void aRolloutReplacesFollowersOneAtATimeAndTheLeaderLast() throws Exception {
    apply(etcdCluster("rollout"));
    awaitObject(StatefulSet.class, "rollout");
    FakeMetasrvPod[] fakes = harness.startPods("rollout", 3);
    fakes[1].lead(fakes[0], fakes[2]);
    for (int i = 0; i < 3; i++) {
      createPod("rollout", i, "rollout-1", true);
    }
    setStatefulSetRevision("rollout", "rollout-1");
    awaitCondition("rollout", "Ready", "True");

    // A new pod template: the StatefulSet controller (played here) reports a new revision, and
    // the operator deletes the pods in its order, each once the previous replacement is Ready.
    setStatefulSetRevision("rollout", "rollout-2");
    for (String next : List.of("rollout-2", "rollout-0", "rollout-1")) {
      await().atMost(WAIT).until(() -> get(Pod.class, next).isEmpty());
      assertThat(pods("rollout")).as("one pod at a time").hasSize(2);
      int ordinal = Integer.parseInt(next.substring("rollout-".length()));
      createPod("rollout", ordinal, "rollout-2", false);
      MetasrvClusterStatus rolling = awaitStatus("rollout", s -> condition(s, "Reconciling")
          .getMessage().contains("waiting for pod " + next + " to be Ready"));
      assertThat(condition(rolling, "Reconciling").getStatus()).isEqualTo("True");
      assertThat(condition(rolling, "Reconciling").getReason()).isEqualTo("RollingOut");
      assertThat(condition(rolling, "Ready").getStatus()).isEqualTo("False");
      // The operator has looked again since, and deleted nothing while the replacement is not
      // Ready.
      harness.awaitReconciliations(MetasrvClusterReconciler.NAME, 2);
      assertThat(pods("rollout")).hasSize(3);
      setReady(next);
    }
    MetasrvClusterStatus done = awaitCondition("rollout", "Ready", "True");
    assertThat(condition(done, "Reconciling").getStatus()).isEqualTo("False");

    MetasrvCluster cluster = harness.client.resources(MetasrvCluster.class).withName("rollout").get();
    assertThat(events(cluster, "ReplacingPod")).extracting(Event::getMessage).containsExactlyInAnyOrder(
        "follower pod rollout-2 deleted to roll it to revision rollout-2",
        "follower pod rollout-0 deleted to roll it to revision rollout-2",
        "leader pod rollout-1, last, deleted to roll it to revision rollout-2");
  }

  @Test
  void theRolloutReportsItsProgress() throws Exception {
    apply(etcdCluster("progress"));
    awaitObject(StatefulSet.class, "progress");
    FakeMetasrvPod[] fakes = harness.startPods("progress", 3);
    fakes[0].lead(fakes[1], fakes[2]);
    createPod("progress", 0, "progress-1", true);
    createPod("progress", 1, "progress-1", true);
    createPod("progress", 2, "progress-2", false);
    setStatefulSetRevision("progress", "progress-2");

    MetasrvClusterStatus rolling = awaitStatus("progress", s -> Integer.valueOf(3).equals(s.readyReplicas)
        && condition(s, "Reconciling").getMessage().startsWith("rolling out"));
    assertThat(condition(rolling, "Reconciling").getMessage()).startsWith(
        "rolling out revision progress-2: 1/3 pods updated; waiting for pod progress-2 to be Ready");
    assertThat(condition(rolling, "Ready").getReason()).isEqualTo("RollingOut");
  }

  /** A pod as the StatefulSet controller makes it from a revision; Ready as the kubelet says. */
  private void createPod(String cluster, int ordinal, String revision, boolean ready) {
    ClusterNames names = new ClusterNames(cluster, harness.namespace());
    harness.client.pods().resource(new PodBuilder()
        .withNewMetadata().withName(cluster + "-" + ordinal).withLabels(names.labels())
        .addToLabels(RolloutPlanner.REVISION_LABEL, revision).endMetadata()
        .withNewSpec().addNewContainer().withName("metasrv").withImage("metasrv:test").endContainer().endSpec()
        .withNewStatus().withPodIP("10.0.0.1")
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus()
        .build()).create();
  }

  private void setReady(String pod) {
    harness.client.pods().withName(pod).editStatus(p -> {
      p.getStatus().getConditions().forEach(c -> c.setStatus("True"));
      return p;
    });
  }

  private List<Pod> pods(String cluster) {
    return harness.client.pods().withLabel(ClusterNames.INSTANCE_LABEL, cluster).list().getItems();
  }

  /** What the StatefulSet controller would report; there is none in the mock. */
  private void setStatefulSetRevision(String name, String update) {
    harness.client.apps().statefulSets().withName(name).editStatus(sts -> {
      sts.setStatus(new StatefulSetStatusBuilder()
          .withObservedGeneration(sts.getMetadata().getGeneration())
          .withReplicas(3)
          .withUpdateRevision(update)
          .build());
      return sts;
    });
  }

  private static MetasrvCluster postgresCluster(String name, String secret) {
    MetasrvCluster cluster = etcdCluster(name);
    cluster.getSpec().backend = new MetasrvClusterSpec.Backend();
    cluster.getSpec().backend.postgres = new MetasrvClusterSpec.Sql();
    cluster.getSpec().backend.postgres.host = "db";
    cluster.getSpec().backend.postgres.database = "meta";
    cluster.getSpec().backend.postgres.credentialsSecret = new MetasrvClusterSpec.CredentialsSecret();
    cluster.getSpec().backend.postgres.credentialsSecret.name = secret;
    return cluster;
  }

  /** Events recorded about this cluster with this reason, checking that they name it. */
  private List<Event> events(MetasrvCluster cluster, String reason) {
    List<Event> events = harness.client.v1().events().list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .filter(e -> cluster.getMetadata().getName().equals(e.getInvolvedObject().getName()))
        .toList();
    assertThat(events).allSatisfy(e -> {
      assertThat(e.getInvolvedObject().getKind()).isEqualTo("MetasrvCluster");
      assertThat(e.getInvolvedObject().getApiVersion()).isEqualTo("metasrv.io/v1alpha1");
      assertThat(e.getInvolvedObject().getUid()).isEqualTo(cluster.getMetadata().getUid());
      assertThat(e.getSource().getComponent()).isEqualTo(ClusterEvents.COMPONENT);
    });
    return events;
  }

  private static String configHash(StatefulSet sts) {
    return sts.getSpec().getTemplate().getMetadata().getAnnotations().get(ClusterNames.CONFIG_HASH_ANNOTATION);
  }

  private MetasrvCluster apply(MetasrvCluster cluster) {
    return harness.client.resource(cluster).create();
  }

  /** Edits the spec as a user would, trying again when the operator wrote status meanwhile. */
  private void edit(String name, Consumer<MetasrvCluster> change) {
    await().atMost(WAIT).ignoreException(KubernetesClientException.class).until(() -> {
      harness.client.resources(MetasrvCluster.class).withName(name).edit(c -> {
        change.accept(c);
        return c;
      });
      return true;
    });
  }

  private <T extends HasMetadata> Optional<T> get(Class<T> type, String name) {
    Resource<T> resource = harness.client.resources(type).withName(name);
    return Optional.ofNullable(resource.get());
  }

  private <T extends HasMetadata> T awaitObject(Class<T> type, String name) {
    return await().atMost(WAIT).until(() -> get(type, name), Optional::isPresent).get();
  }

  private MetasrvClusterStatus awaitStatus(String name, java.util.function.Predicate<MetasrvClusterStatus> test) {
    return await().atMost(WAIT)
        .until(() -> harness.client.resources(MetasrvCluster.class).withName(name).get().getStatus(),
            s -> s != null && test.test(s));
  }

  private MetasrvClusterStatus awaitCondition(String name, String type, String status) {
    return awaitStatus(name, s -> s.conditions.stream()
        .anyMatch(c -> c.getType().equals(type) && c.getStatus().equals(status)));
  }

  private static Condition condition(MetasrvClusterStatus status, String type) {
    return status.conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }
}
