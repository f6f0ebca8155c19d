package io.metasrv.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class CrdTableTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  private static final String KUBECTL_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,"
      + "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

  /** A CRD whose columns are in no sorted order, with a filter, a nested field, a date last. */
  private static final String CRD = """
      {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "things.example.io"},
       "spec": {"group": "example.io", "scope": "Namespaced",
        "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
        "versions": [
         {"name": "v1", "served": true, "storage": true, "additionalPrinterColumns": [
           {"name": "Zeta", "type": "string", "jsonPath": ".spec.zeta"},
           {"name": "Ready", "type": "string",
            "jsonPath": ".status.conditions[?(@.type==\\"Ready\\")].status"},
           {"name": "Replicas", "type": "integer", "jsonPath": ".status.replicas",
            "description": "how many", "priority": 1},
           {"name": "First", "type": "string", "jsonPath": ".spec.items[0].name", "format": "x"},
           {"name": "Last", "type": "string", "jsonPath": ".spec.items[-1].name"},
           {"name": "On", "type": "boolean", "jsonPath": ".spec.on"},
           {"name": "Created", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]},
         {"name": "v2", "served": true, "storage": false}]}}
      """;

  private static final String THING = """
      {"apiVersion": "example.io/v1", "kind": "Thing",
       "metadata": {"name": "a", "namespace": "ns", "resourceVersion": "7", "uid": "u-1",
                    "creationTimestamp": "2026-11-25T11:54:57Z", "labels": {"l": "v"}},
       "spec": {"zeta": "z", "on": false, "items": [{"name": "i0"}, {"name": "i1"}]},
       "status": {"replicas": 3, "conditions": [
         {"type": "Progressing", "status": "False"},
         {"type": "Ready", "status": "True"},
         {"type": "Ready2", "status": "Unknown"}]}}
      """;

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  private static List<String> names(JsonNode table) {
    List<String> names = new ArrayList<>();
    table.path("columnDefinitions").forEach(c -> names.add(c.path("name").asText()));
    return names;
  }

  @Test
  void columnsAreNameThenTheCrdColumnsInTheCrdOrder() throws Exception {
    JsonNode table = CrdTable.toTable(json(CRD), "v1", json(THING), "v1", "", NOW);

    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(table.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
    assertThat(names(table))
        .containsExactly("Name", "Zeta", "Ready", "Replicas", "First", "Last", "On", "Created");
    JsonNode name = table.path("columnDefinitions").get(0);
    assertThat(name.path("type").asText()).isEqualTo("string");
    assertThat(name.path("format").asText()).isEqualTo("name");
    JsonNode replicas = table.path("columnDefinitions").get(3);
    assertThat(replicas.path("type").asText()).isEqualTo("integer");
    assertThat(replicas.path("description").asText()).isEqualTo("how many");
    assertThat(replicas.path("priority").asInt()).isEqualTo(1);
    assertThat(table.path("columnDefinitions").get(4).path("format").asText()).isEqualTo("x");
    // No description: the real server's generated one.
    assertThat(table.path("columnDefinitions").get(1).path("description").asText())
        .isEqualTo("Custom resource definition column (in JSONPath format): .spec.zeta");
  }

  @Test
  void theRepositoryCrdsGiveTheirColumnsInTheirOrder() throws Exception {
    YAMLMapper yaml = new YAMLMapper();
    JsonNode msc = yaml.readTree(Path.of("crds/metasrvclusters.metasrv.io-v1.yml").toFile());
    JsonNode version = msc.path("spec").path("versions").get(0);
    List<String> expected = new ArrayList<>(List.of("Name"));
    version.path("additionalPrinterColumns").forEach(c -> expected.add(c.path("name").asText()));
    assertThat(expected).hasSizeGreaterThan(2);

    JsonNode table = CrdTable.toTable(msc, version.path("name").asText(),
        json("{\"items\": [], \"metadata\": {\"resourceVersion\": \"1\"}}"), "v1", "", NOW);

    assertThat(names(table)).containsExactlyElementsOf(expected);
    assertThat(table.path("rows")).isEmpty();
  }

  @Test
  void cellsEvaluateFieldsFiltersIndexesAndTypes() throws Exception {
    JsonNode row = CrdTable.toTable(json(CRD), "v1", json(THING), "v1", "", NOW)
        .path("rows").get(0);

    JsonNode cells = row.path("cells");
    assertThat(cells).hasSize(8);
    assertThat(cells.get(0).asText()).isEqualTo("a");
    assertThat(cells.get(1).asText()).isEqualTo("z");
    assertThat(cells.get(2).asText()).isEqualTo("True"); // the Ready condition, not the first one
    assertThat(cells.get(3).isIntegralNumber()).isTrue();
    assertThat(cells.get(3).asLong()).isEqualTo(3);
    assertThat(cells.get(4).asText()).isEqualTo("i0");
    assertThat(cells.get(5).asText()).isEqualTo("i1");
    assertThat(cells.get(6).isBoolean()).isTrue();
    assertThat(cells.get(6).asBoolean()).isFalse();
    assertThat(cells.get(7).asText()).isEqualTo("5m3s");
  }

  @Test
  void aMissingValueOrAValueOfAnotherTypeIsAnEmptyCell() throws Exception {
    ObjectNode thing = (ObjectNode) json(THING);
    thing.remove("status");
    ((ObjectNode) thing.path("spec")).put("on", "yes").putArray("items");

    JsonNode cells = CrdTable.toTable(json(CRD), "v1", thing, "v1", "", NOW)
        .path("rows").get(0).path("cells");

    assertThat(cells.get(1).asText()).isEqualTo("z");
    assertThat(cells.get(2).isNull()).as("no status, no Ready").isTrue();
    assertThat(cells.get(3).isNull()).as("no replicas").isTrue();
    assertThat(cells.get(4).isNull()).as("index 0 of an empty list").isTrue();
    assertThat(cells.get(5).isNull()).as("index -1 of an empty list").isTrue();
    assertThat(cells.get(6).isNull()).as("a string in a boolean column").isTrue();

    ObjectNode notReady = (ObjectNode) json(THING);
    ((ObjectNode) notReady.path("status").path("conditions").get(1)).put("type", "Available");
    assertThat(CrdTable.toTable(json(CRD), "v1", notReady, "v1", "", NOW)
        .path("rows").get(0).path("cells").get(2).isNull()).as("no condition matches").isTrue();
  }

  @Test
  void dateColumnsAreAgesLikeTheApiServers() throws Exception {
    assertThat(CrdTable.cell("date", JSON.getNodeFactory().textNode("2026-11-25T11:59:30Z"), NOW)
        .asText()).isEqualTo("30s");
    assertThat(CrdTable.cell("date", JSON.getNodeFactory().textNode("2026-11-24T10:00:00Z"), NOW)
        .asText()).isEqualTo("26h");
    assertThat(CrdTable.cell("date", JSON.getNodeFactory().textNode("yesterday"), NOW).asText())
        .isEqualTo("<invalid>");
    assertThat(CrdTable.cell("date", JSON.getNodeFactory().numberNode(5), NOW).isNull()).isTrue();

    assertThat(CrdTable.humanDuration(Duration.ofMillis(-1500))).isEqualTo("0s");
    assertThat(CrdTable.humanDuration(Duration.ofSeconds(-2))).isEqualTo("<invalid>");
    assertThat(CrdTable.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(CrdTable.humanDuration(Duration.ofSeconds(120))).isEqualTo("2m");
    assertThat(CrdTable.humanDuration(Duration.ofSeconds(9 * 60 + 59))).isEqualTo("9m59s");
    assertThat(CrdTable.humanDuration(Duration.ofMinutes(179))).isEqualTo("179m");
    assertThat(CrdTable.humanDuration(Duration.ofMinutes(3 * 60 + 5))).isEqualTo("3h5m");
    assertThat(CrdTable.humanDuration(Duration.ofHours(8))).isEqualTo("8h");
    assertThat(CrdTable.humanDuration(Duration.ofHours(49))).isEqualTo("2d1h");
    assertThat(CrdTable.humanDuration(Duration.ofDays(30))).isEqualTo("30d");
    assertThat(CrdTable.humanDuration(Duration.ofDays(365 * 2 + 3))).isEqualTo("2y3d");
    assertThat(CrdTable.humanDuration(Duration.ofDays(365 * 9))).isEqualTo("9y");
  }

  @Test
  void aVersionWithoutColumnsGetsAge() throws Exception {
    JsonNode table = CrdTable.toTable(json(CRD), "v2", json(THING), "v1", "", NOW);

    assertThat(names(table)).containsExactly("Name", "Age");
    assertThat(table.path("columnDefinitions").get(1).path("type").asText()).isEqualTo("date");
    assertThat(table.path("rows").get(0).path("cells").get(1).asText()).isEqualTo("5m3s");
  }

  @Test
  void rowsCarryPartialMetadataTheObjectOrNothing() throws Exception {
    JsonNode list = json("{\"apiVersion\": \"example.io/v1\", \"kind\": \"ThingList\","
        + " \"metadata\": {\"resourceVersion\": \"42\"}, \"items\": [" + THING + "," + THING + "]}");

    JsonNode table = CrdTable.toTable(json(CRD), "v1", list, "v1", "", NOW);
    assertThat(table.path("metadata").path("resourceVersion").asText()).isEqualTo("42");
    assertThat(table.path("rows")).hasSize(2);
    JsonNode partial = table.path("rows").get(0).path("object");
    assertThat(partial.path("kind").asText()).isEqualTo("PartialObjectMetadata");
    assertThat(partial.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
    assertThat(partial.path("metadata").path("namespace").asText()).isEqualTo("ns");
    assertThat(partial.path("metadata").path("labels").path("l").asText()).isEqualTo("v");
    assertThat(partial.has("spec")).isFalse();

    JsonNode whole = CrdTable.toTable(json(CRD), "v1", list, "v1", "Object", NOW)
        .path("rows").get(1).path("object");
    assertThat(whole).isEqualTo(json(THING));

    assertThat(CrdTable.toTable(json(CRD), "v1", list, "v1", "None", NOW)
        .path("rows").get(0).path("object").isNull()).isTrue();
  }

  @Test
  void onlyATableAskedForFirstIsATable() {
    assertThat(CrdTable.tableVersion(KUBECTL_ACCEPT)).isEqualTo("v1");
    assertThat(CrdTable.tableVersion("application/json;as=Table;v=v1beta1;g=meta.k8s.io")).isEqualTo("v1beta1");
    assertThat(CrdTable.tableVersion("application/json")).isNull();
    assertThat(CrdTable.tableVersion("application/json, */*")).isNull();
    assertThat(CrdTable.tableVersion(null)).isNull();
    assertThat(CrdTable.tableVersion("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
        + "application/json")).isNull();
    assertThat(CrdTable.tableVersion("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,"
        + "application/json;as=Table;v=v1;g=meta.k8s.io")).isEqualTo("v1");
  }

  @Test
  void jsonPathOutsideTheSubsetIsRefused() {
    assertThatThrownBy(() -> CrdTable.parse(".a..b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CrdTable.parse(".a[?(@.x>1)]")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CrdTable.parse("a.b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(CrdTable.find(JSON.createObjectNode().put("a-b", 1), ".a-b").get(0).asInt()).isEqualTo(1);
    assertThat(CrdTable.find(JSON.createObjectNode().put("a.b", 1), "['a.b']").get(0).asInt()).isEqualTo(1);
  }

  /** The mock answers kubectl's Table request, and plain JSON to anyone else. */
  @Test
  void theMockAnswersTablesForCustomResourcesOnly() throws Exception {
    MockApi api = new MockApi();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
        new HashMap<>(), api.dispatcher(), false);
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    try {
      String base = "http://127.0.0.1:" + server.getPort();
      HttpClient http = HttpClient.newHttpClient();
      assertThat(send(http, "POST", base + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
          CRD, null).statusCode()).isEqualTo(201);
      assertThat(send(http, "POST", base + "/apis/example.io/v1/namespaces/ns/things", THING, null)
          .statusCode()).isEqualTo(201);
      String collection = base + "/apis/example.io/v1/namespaces/ns/things";

      HttpResponse<String> list = send(http, "GET", collection + "?limit=500", null, KUBECTL_ACCEPT);
      assertThat(list.statusCode()).isEqualTo(200);
      assertThat(list.headers().firstValue("Content-Type")).hasValue(
          "application/json;as=Table;v=v1;g=meta.k8s.io");
      JsonNode table = JSON.readTree(list.body());
      assertThat(table.path("kind").asText()).isEqualTo("Table");
      assertThat(names(table))
          .containsExactly("Name", "Zeta", "Ready", "Replicas", "First", "Last", "On", "Created");
      assertThat(table.path("rows").get(0).path("cells").get(2).asText()).isEqualTo("True");

      JsonNode one = JSON.readTree(send(http, "GET", collection + "/a", null, KUBECTL_ACCEPT).body());
      assertThat(one.path("kind").asText()).isEqualTo("Table");
      assertThat(one.path("rows")).hasSize(1);
      JsonNode all = JSON.readTree(send(http, "GET", base + "/apis/example.io/v1/things?includeObject=Object",
          null, KUBECTL_ACCEPT).body());
      assertThat(all.path("rows").get(0).path("object").path("spec").path("zeta").asText()).isEqualTo("z");

      JsonNode plain = JSON.readTree(send(http, "GET", collection, null, "application/json").body());
      assertThat(plain.path("kind").asText()).isEqualTo("List"); // the CRUD mode's, unchanged
      assertThat(plain.path("items").get(0).path("spec").path("zeta").asText()).isEqualTo("z");
      assertThat(JSON.readTree(send(http, "GET", collection + "/a", null, null).body())
          .path("kind").asText()).isEqualTo("Thing");
      // Built-in resources keep their plain answer: kubectl prints those itself.
      assertThat(JSON.readTree(send(http, "GET", base + "/api/v1/namespaces/ns/configmaps", null,
          KUBECTL_ACCEPT).body()).path("kind").asText()).isNotEqualTo("Table");
      // A missing object is the CRUD mode's 404, not a Table.
      assertThat(send(http, "GET", collection + "/nope", null, KUBECTL_ACCEPT).statusCode())
          .isEqualTo(404);
    } finally {
      server.destroy();
    }
  }

  private static HttpResponse<String> send(HttpClient http, String method, String url, String body,
      String accept) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (accept != null) {
      request.header("Accept", accept);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
