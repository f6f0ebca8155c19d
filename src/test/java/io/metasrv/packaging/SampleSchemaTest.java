package io.metasrv.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The samples in manifests/samples are valid for the CRDs in crds/ as the API server would judge
 * them: the schema (unknown fields refused, see {@link CrdSchema}) and the CEL rules.
 */
class SampleSchemaTest {
  private static final Map<String, CrdSchema> SCHEMAS = CrdSchema.of(Manifests.crds());

  /**
   * The CRDs' CEL rules, written again in Java: no JSON schema validator runs CEL. A rule added
   * to the API classes fails {@link #everyCelRuleOfTheCrdsIsCheckedHere} until it is added here.
   * Transition rules (oldSelf) always hold when the same object is applied again.
   */
  private static final String ONE_BACKEND =
      "[has(self.etcd), has(self.postgres), has(self.mysql), has(self.memory)]"
          + ".filter(x, x).size() == 1";

  private static final String MEMORY_ONE_REPLICA =
      "!has(self.backend) || !has(self.backend.memory)"
          + " || (has(self.replicas) && self.replicas == 1)";

  private static final String MEMORY_NO_LEASE =
      "!has(self.backend) || !has(self.backend.memory)"
          + " || !has(self.election) || self.election != 'kubernetes-lease'";

  private static final Map<String, Predicate<JsonNode>> CEL = Map.of(
      ONE_BACKEND,
      self -> Stream.of("etcd", "postgres", "mysql", "memory").filter(self::has).count() == 1,
      MEMORY_ONE_REPLICA,
      self -> !self.has("backend") || !self.get("backend").has("memory")
          || (self.has("replicas") && self.get("replicas").asInt() == 1),
      MEMORY_NO_LEASE,
      self -> !self.has("backend") || !self.get("backend").has("memory")
          || !self.has("election") || !self.get("election").asText().equals("kubernetes-lease"),
      "self == oldSelf",
      self -> true);

  static Stream<Arguments> customResources() {
    List<Arguments> resources = new ArrayList<>();
    for (Path file : Manifests.yamlFiles(Manifests.SAMPLES)) {
      for (JsonNode object : Manifests.read(file)) {
        if (object.path("apiVersion").asText().startsWith("metasrv.io/")) {
          resources.add(Arguments.of(file.getFileName() + ": " + Manifests.id(object), object));
        }
      }
    }
    return resources.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("customResources")
  void everySampleMatchesItsCrdSchema(String label, JsonNode resource) {
    assertThat(CrdSchema.forObject(SCHEMAS, resource).violations(resource)).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("customResources")
  void everySampleSatisfiesTheCelRules(String label, JsonNode resource) {
    for (CrdSchema.CelRule rule : CrdSchema.forObject(SCHEMAS, resource).celRules()) {
      JsonNode self = resource.at(rule.pointer());
      if (!self.isMissingNode()) {
        assertThat(CEL.get(rule.rule()).test(self)).as("%s at %s", rule.rule(), rule.pointer())
            .isTrue();
      }
    }
  }

  @Test
  void everyCelRuleOfTheCrdsIsCheckedHere() {
    for (CrdSchema schema : SCHEMAS.values()) {
      for (CrdSchema.CelRule rule : schema.celRules()) {
        assertThat(CEL).as("CEL rule at %s", rule.pointer()).containsKey(rule.rule());
        assertThat(rule.pointer()).as("rules inside lists or maps are not handled here")
            .doesNotContain("*");
      }
    }
  }

  @Test
  void aFieldTheCrdDoesNotKnowIsRefused() {
    ObjectNode cluster = etcdCluster();
    ((ObjectNode) cluster.get("spec")).put("replica", 3);
    assertThat(violations(cluster)).anyMatch(m -> m.contains("replica"));
  }

  /**
   * Without spec, a MaintenanceMode would pass its clusterRef immutability rule (transition rules
   * do not run when the field is absent on one side): a merge patch setting spec to null, then
   * one with another clusterRef, would move it. Neither kind has a meaning without its spec.
   */
  @Test
  void anObjectWithoutSpecIsRefused() {
    JsonNode maintenance = Manifests.only(
        Manifests.read(Manifests.SAMPLES.resolve("maintenance-mode.yaml")), "MaintenanceMode");
    for (ObjectNode object : List.of(etcdCluster(), (ObjectNode) maintenance.deepCopy())) {
      object.remove("spec");
      assertThat(violations(object)).as(Manifests.id(object)).anyMatch(m -> m.contains("spec"));
    }
  }

  @Test
  void aValueOfTheWrongTypeIsRefused() {
    ObjectNode cluster = etcdCluster();
    ((ObjectNode) cluster.get("spec")).put("replicas", "three");
    assertThat(violations(cluster)).anyMatch(m -> m.contains("replicas"));
  }

  @Test
  void twoBackendsBreakTheBackendCelRule() {
    JsonNode backend = etcdCluster().at("/spec/backend");
    ((ObjectNode) backend).putObject("mysql");
    assertThat(CEL.get(ONE_BACKEND).test(backend)).isFalse();
  }

  @Test
  void memoryIsTheFourthBackendAndStillOnlyOne() {
    JsonNode memory = memoryCluster().at("/spec/backend");
    assertThat(CEL.get(ONE_BACKEND).test(memory)).isTrue();
    ((ObjectNode) memory).putObject("etcd").putArray("endpoints").add("etcd:2379");
    assertThat(CEL.get(ONE_BACKEND).test(memory)).isFalse();
  }

  @Test
  void aMemoryClusterHasOneReplicaAndNoLease() {
    ObjectNode spec = (ObjectNode) memoryCluster().get("spec");
    assertThat(CEL.get(MEMORY_ONE_REPLICA).test(spec)).isTrue();
    assertThat(CEL.get(MEMORY_NO_LEASE).test(spec)).isTrue();

    // What kubectl scale --replicas=2 would store; and the schema default of 3 when left out.
    assertThat(CEL.get(MEMORY_ONE_REPLICA).test(spec.deepCopy().put("replicas", 2))).isFalse();
    ObjectNode withoutReplicas = spec.deepCopy();
    withoutReplicas.remove("replicas");
    assertThat(CEL.get(MEMORY_ONE_REPLICA).test(withoutReplicas)).isFalse();

    assertThat(CEL.get(MEMORY_NO_LEASE).test(spec.deepCopy().put("election", "kubernetes-lease")))
        .isFalse();
    assertThat(CEL.get(MEMORY_NO_LEASE).test(spec.deepCopy().put("election", "backend"))).isTrue();
    // Other backends are untouched by both rules.
    JsonNode etcdSpec = etcdCluster().get("spec");
    assertThat(CEL.get(MEMORY_ONE_REPLICA).test(etcdSpec)).isTrue();
    assertThat(CEL.get(MEMORY_NO_LEASE).test(etcdSpec)).isTrue();
  }

  @Test
  void theMemorySampleIsOneReplica() {
    JsonNode spec = memoryCluster().get("spec");
    assertThat(spec.path("replicas").asInt()).isEqualTo(1);
    assertThat(spec.at("/backend/memory").isObject()).isTrue();
    assertThat(spec.has("election")).isFalse();
  }

  @Test
  void theEtcdSampleRunsThreeReplicasElectingWithALease() {
    JsonNode spec = etcdCluster().get("spec");
    assertThat(spec.path("replicas").asInt()).isEqualTo(3);
    assertThat(spec.path("election").asText()).isEqualTo("kubernetes-lease");
    assertThat(spec.at("/backend/etcd/endpoints")).isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"postgres", "mysql"})
  void theSqlSamplesNameASecretThatTheyCarryWithTheKeysTheyName(String kind) {
    List<JsonNode> objects = Manifests.read(Manifests.SAMPLES.resolve(kind + "-cluster.yaml"));
    JsonNode credentials = Manifests.only(objects, "MetasrvCluster")
        .at("/spec/backend/" + kind + "/credentialsSecret");
    JsonNode secret = Manifests.only(objects, "Secret");
    assertThat(Manifests.name(secret)).isEqualTo(credentials.path("name").asText());
    // The keys default to username and password in the schema (the API server fills them in).
    for (String key : List.of(credentials.path("usernameKey").asText("username"),
        credentials.path("passwordKey").asText("password"))) {
      assertThat(secret.at("/data/" + key).asText()).as("data.%s", key).isNotEmpty();
      Base64.getDecoder().decode(secret.at("/data/" + key).asText());
    }
    // stringData is stored as data: applied again, a GitOps tool would see a difference.
    assertThat(secret.has("stringData")).isFalse();
  }

  @Test
  void theMaintenanceModeSampleNamesASampleCluster() {
    JsonNode maintenance = Manifests.only(
        Manifests.read(Manifests.SAMPLES.resolve("maintenance-mode.yaml")), "MaintenanceMode");
    List<String> clusters = customResources()
        .map(a -> (JsonNode) a.get()[1])
        .filter(o -> Manifests.kind(o).equals("MetasrvCluster"))
        .map(Manifests::name)
        .toList();
    assertThat(clusters).contains(maintenance.at("/spec/clusterRef/name").asText());
  }

  private static ObjectNode etcdCluster() {
    return (ObjectNode) Manifests.only(
        Manifests.read(Manifests.SAMPLES.resolve("etcd-lease-cluster.yaml")), "MetasrvCluster")
        .deepCopy();
  }

  private static ObjectNode memoryCluster() {
    return (ObjectNode) Manifests.only(
        Manifests.read(Manifests.SAMPLES.resolve("memory-cluster.yaml")), "MetasrvCluster")
        .deepCopy();
  }

  private static Set<String> violations(JsonNode resource) {
    return CrdSchema.forObject(SCHEMAS, resource).violations(resource);
  }
}
