package io.metasrv.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The e2e API server: fabric8's mock in CRUD mode over plain HTTP, plus what kubectl and the
 * operator need that the CRUD mode lacks: discovery ({@code /version}, {@code /api}, {@code
 * /apis}, each group's resource list, built-ins from a table and custom resources from the CRDs
 * created on it), the {@code /scale} subresource of custom resources that declare it, the
 * SelfSubjectRulesReview that JOSDK's leader election sends first, and server-side printing:
 * a GET of custom resources with {@code Accept: ...;as=Table;v=v1;g=meta.k8s.io} (kubectl get)
 * answers a Table with the CRD's printer columns ({@link CrdTable}); plain JSON otherwise.
 *
 * <p>{@code MockApi <dir>}: writes {@code <dir>/kubeconfig} and {@code <dir>/api-port}, then runs
 * until killed.
 */
public final class MockApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Held so that the level stays: the mock logs every request at INFO. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  /** group, version, plural, singular, kind, namespaced, shortNames, subresources. */
  private record Resource(String group, String version, String plural, String singular,
      String kind, boolean namespaced, List<String> shortNames, List<String> subresources,
      boolean scale) {}

  private static final List<Resource> BUILT_IN = List.of(
      r("", "v1", "pods", "Pod", true, List.of("po"), List.of("status")),
      r("", "v1", "configmaps", "ConfigMap", true, List.of("cm"), List.of()),
      r("", "v1", "secrets", "Secret", true, List.of(), List.of()),
      r("", "v1", "services", "Service", true, List.of("svc"), List.of("status")),
      r("", "v1", "serviceaccounts", "ServiceAccount", true, List.of("sa"), List.of()),
      r("", "v1", "namespaces", "Namespace", false, List.of("ns"), List.of("status")),
      r("", "v1", "events", "Event", true, List.of("ev"), List.of()),
      r("", "v1", "endpoints", "Endpoints", true, List.of("ep"), List.of()),
      r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc"), List.of("status")),
      r("apps", "v1", "statefulsets", "StatefulSet", true, List.of("sts"), List.of("status")),
      r("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), List.of("status")),
      r("coordination.k8s.io", "v1", "leases", "Lease", true, List.of(), List.of()),
      r("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"), List.of("status")),
      r("rbac.authorization.k8s.io", "v1", "roles", "Role", true, List.of(), List.of()),
      r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, List.of(), List.of()),
      r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, List.of(), List.of()),
      r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, List.of(), List.of()),
      r("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, List.of("crd", "crds"), List.of("status")),
      r("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, List.of(), List.of()),
      r("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor", true, List.of(), List.of()));

  private static Resource r(String group, String version, String plural, String kind,
      boolean namespaced, List<String> shortNames, List<String> subresources) {
    return new Resource(group, version, plural, kind.toLowerCase(), kind, namespaced, shortNames,
        subresources, false);
  }

  private static final Pattern CRD_PATH =
      Pattern.compile("^/apis/apiextensions\\.k8s\\.io/v1/customresourcedefinitions(?:/([^/]+))?(?:/status)?$");
  /** A custom resource collection or object: group, version, plural, name (or null). */
  private static final Pattern CUSTOM_RESOURCE_PATH =
      Pattern.compile("^/apis/([^/]+)/([^/]+)/(?:namespaces/[^/]+/)?([^/]+)(?:/([^/]+))?$");
  private static final Pattern SCALE_PATH =
      Pattern.compile("^/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([^/]+)/([^/]+)/scale$");

  /** CRD name → its served versions' resources. */
  private final Map<String, List<Resource>> crds = new ConcurrentHashMap<>();
  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private volatile int port;

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    Path dir = Path.of(args[0]);
    MockApi api = new MockApi();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
        new HashMap<>(), api.dispatcher(), false);
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    api.port = server.getPort();
    String url = "http://127.0.0.1:" + api.port;
    String kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: e2e
          cluster:
            server: %s
        users:
        - name: e2e
          user:
            token: e2e
        contexts:
        - name: e2e
          context:
            cluster: e2e
            user: e2e
            namespace: default
        current-context: e2e
        """.formatted(url);
    Files.writeString(dir.resolve("kubeconfig"), kubeconfig);
    Files.writeString(dir.resolve("api-port"), Integer.toString(api.port));
    System.out.println("mock API server on " + url);
    Runtime.getRuntime().addShutdownHook(new Thread(server::destroy));
    new CountDownLatch(1).await();
  }

  Dispatcher dispatcher() {
    return new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        try {
          return MockApi.this.dispatch(request);
        } catch (Exception e) {
          e.printStackTrace();
          return json(500, status(500, "InternalError", e.toString()));
        }
      }
    };
  }

  private MockResponse dispatch(RecordedRequest request) throws Exception {
    String full = request.getPath();
    String path = full.contains("?") ? full.substring(0, full.indexOf('?')) : full;
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String method = request.getMethod();
    if (method.equals("GET")) {
      MockResponse discovery = discovery(path);
      if (discovery != null) {
        return discovery;
      }
    }
    if (method.equals("POST") && path.equals("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")) {
      ObjectNode review = (ObjectNode) JSON.readTree(request.getUtf8Body());
      ObjectNode rule = JSON.createObjectNode();
      rule.putArray("apiGroups").add("*");
      rule.putArray("resources").add("*");
      rule.putArray("verbs").add("*");
      ObjectNode st = review.putObject("status");
      st.putArray("resourceRules").add(rule);
      st.putArray("nonResourceRules");
      st.put("incomplete", false);
      return json(201, review);
    }
    if (method.equals("GET") && query(full, "watch").equals("true")
        && !"Upgrade".equalsIgnoreCase(String.valueOf(request.getHeader("Connection")))) {
      return streamingWatch(full, path);
    }
    Matcher scale = SCALE_PATH.matcher(path);
    if (scale.matches() && scaleResource(scale.group(1), scale.group(2), scale.group(4)) != null) {
      return scale(request, scale, path.substring(0, path.length() - "/scale".length()));
    }
    MockResponse response = crud.dispatch(request);
    if (method.equals("GET") && response.code() == 200) {
      String tableVersion = CrdTable.tableVersion(request.getHeader("Accept"));
      if (tableVersion != null) {
        MockResponse table = table(path, full, tableVersion, response);
        if (table != null) {
          return table;
        }
      }
    }
    Matcher crd = CRD_PATH.matcher(path);
    if (crd.matches() && response.code() / 100 == 2) {
      if (method.equals("DELETE")) {
        crds.remove(crd.group(1));
      } else if (!method.equals("GET")) {
        register(JSON.readTree(response.getBody().getBytes()));
      }
    }
    return response;
  }

  /**
   * A GET of custom resources that asked for a Table (kubectl's {@code get} does): the CRUD
   * answer converted with the printer columns of the CRD stored here, as the real API server
   * does; {@code null} for other resources (their plain answer stays, kubectl prints it itself).
   */
  private MockResponse table(String path, String full, String tableVersion, MockResponse response)
      throws Exception {
    Matcher m = CUSTOM_RESOURCE_PATH.matcher(path);
    if (!m.matches()) {
      return null;
    }
    String crdName = crds.entrySet().stream()
        .filter(e -> e.getValue().stream().anyMatch(r -> r.group.equals(m.group(1))
            && r.version.equals(m.group(2)) && r.plural.equals(m.group(3))))
        .map(Map.Entry::getKey).findFirst().orElse(null);
    if (crdName == null) {
      return null;
    }
    MockResponse crd = crud.handleGet("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + crdName);
    if (crd.code() != 200) {
      return null;
    }
    ObjectNode table = CrdTable.toTable(JSON.readTree(crd.getBody().getBytes()), m.group(2),
        JSON.readTree(response.getBody().getBytes()), tableVersion, query(full, "includeObject"),
        java.time.Instant.now());
    return json(200, table)
        .setHeader("Content-Type", "application/json;as=Table;v=" + tableVersion + ";g=meta.k8s.io");
  }

  private static String query(String full, String name) {
    int q = full.indexOf('?');
    if (q < 0) {
      return "";
    }
    for (String pair : full.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      if (k.equals(name)) {
        return eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return "";
  }

  /**
   * A watch over plain HTTP, as kubectl sends it (the mock only watches over WebSocket): the
   * current matching objects as ADDED events, after a second, then the end of the stream, so a
   * client's reflector watches again: a watch by polling, once a second.
   */
  private MockResponse streamingWatch(String full, String path) throws Exception {
    String labelSelector = query(full, "labelSelector");
    String listPath = path + (labelSelector.isEmpty() ? ""
        : "?labelSelector=" + java.net.URLEncoder.encode(labelSelector, StandardCharsets.UTF_8));
    MockResponse list = crud.handleGet(listPath);
    StringBuilder events = new StringBuilder();
    String fieldSelector = query(full, "fieldSelector");
    String name = fieldSelector.startsWith("metadata.name=")
        ? fieldSelector.substring("metadata.name=".length()) : null;
    if (list.code() == 200) {
      JsonNode body = JSON.readTree(list.getBody().getBytes());
      JsonNode items = body.has("items") ? body.get("items") : JSON.createArrayNode().add(body);
      for (JsonNode item : items) {
        if (name != null && !name.equals(item.path("metadata").path("name").asText())) {
          continue;
        }
        ObjectNode event = JSON.createObjectNode().put("type", "ADDED");
        event.set("object", item);
        events.append(JSON.writeValueAsString(event)).append('\n');
      }
    }
    return new MockResponse().setResponseCode(200)
        .setHeader("Content-Type", "application/json")
        .setBodyDelay(java.time.Duration.ofSeconds(1))
        .setBody(events.toString());
  }

  private void register(JsonNode crd) {
    String name = crd.path("metadata").path("name").asText();
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    List<String> shortNames = new ArrayList<>();
    names.path("shortNames").forEach(n -> shortNames.add(n.asText()));
    List<Resource> resources = new ArrayList<>();
    for (JsonNode version : spec.path("versions")) {
      if (!version.path("served").asBoolean(true)) {
        continue;
      }
      List<String> sub = new ArrayList<>();
      JsonNode subresources = version.path("subresources");
      if (subresources.has("status")) {
        sub.add("status");
      }
      resources.add(new Resource(spec.path("group").asText(), version.path("name").asText(),
          names.path("plural").asText(), names.path("singular").asText(),
          names.path("kind").asText(), !"Cluster".equals(spec.path("scope").asText()),
          shortNames, sub, subresources.has("scale")));
    }
    crds.put(name, resources);
  }

  private List<Resource> all() {
    List<Resource> all = new ArrayList<>(BUILT_IN);
    crds.values().forEach(all::addAll);
    return all;
  }

  private Resource scaleResource(String group, String version, String plural) {
    return crds.values().stream().flatMap(List::stream)
        .filter(r -> r.scale && r.group.equals(group) && r.version.equals(version) && r.plural.equals(plural))
        .findFirst().orElse(null);
  }

  private MockResponse discovery(String path) {
    if (path.equals("/version")) {
      ObjectNode v = JSON.createObjectNode();
      v.put("major", "1").put("minor", "32").put("gitVersion", "v1.32.0-e2e-mock")
          .put("platform", "linux/amd64");
      return json(200, v);
    }
    if (path.equals("/api")) {
      ObjectNode v = JSON.createObjectNode().put("kind", "APIVersions");
      v.putArray("versions").add("v1");
      ObjectNode cidr = v.putArray("serverAddressByClientCIDRs").addObject();
      cidr.put("clientCIDR", "0.0.0.0/0").put("serverAddress", "127.0.0.1:" + port);
      return json(200, v);
    }
    if (path.equals("/api/v1")) {
      return json(200, resourceList("", "v1"));
    }
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (Resource r : all()) {
      if (!r.group.isEmpty()) {
        List<String> versions = groups.computeIfAbsent(r.group, g -> new ArrayList<>());
        if (!versions.contains(r.version)) {
          versions.add(r.version);
        }
      }
    }
    if (path.equals("/apis")) {
      ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
      ArrayNode items = list.putArray("groups");
      groups.forEach((g, versions) -> items.add(group(g, versions)));
      return json(200, list);
    }
    String[] parts = path.split("/");
    if (parts.length == 3 && parts[1].equals("apis") && groups.containsKey(parts[2])) {
      return json(200, group(parts[2], groups.get(parts[2])).put("kind", "APIGroup").put("apiVersion", "v1"));
    }
    if (parts.length == 4 && parts[1].equals("apis") && groups.containsKey(parts[2])
        && groups.get(parts[2]).contains(parts[3])) {
      return json(200, resourceList(parts[2], parts[3]));
    }
    if (path.startsWith("/openapi")) {
      return json(404, status(404, "NotFound", "no OpenAPI document in the e2e mock"));
    }
    return null;
  }

  private static ObjectNode group(String name, List<String> versions) {
    ObjectNode g = JSON.createObjectNode().put("name", name);
    ArrayNode vs = g.putArray("versions");
    for (String v : versions) {
      vs.addObject().put("groupVersion", name + "/" + v).put("version", v);
    }
    g.putObject("preferredVersion").put("groupVersion", name + "/" + versions.get(0))
        .put("version", versions.get(0));
    return g;
  }

  private ObjectNode resourceList(String group, String version) {
    ObjectNode list = JSON.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1")
        .put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = list.putArray("resources");
    for (Resource r : all()) {
      if (!r.group.equals(group) || !r.version.equals(version)) {
        continue;
      }
      ObjectNode node = resources.addObject().put("name", r.plural).put("singularName", r.singular)
          .put("namespaced", r.namespaced).put("kind", r.kind);
      ArrayNode verbs = node.putArray("verbs");
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
          .forEach(verbs::add);
      if (!r.shortNames.isEmpty()) {
        ArrayNode sn = node.putArray("shortNames");
        r.shortNames.forEach(sn::add);
      }
      for (String sub : r.subresources) {
        ObjectNode s = resources.addObject().put("name", r.plural + "/" + sub).put("singularName", "")
            .put("namespaced", r.namespaced).put("kind", r.kind);
        s.putArray("verbs").add("get").add("patch").add("update");
      }
      if (r.scale) {
        ObjectNode s = resources.addObject().put("name", r.plural + "/scale").put("singularName", "")
            .put("namespaced", r.namespaced).put("group", "autoscaling").put("version", "v1")
            .put("kind", "Scale");
        s.putArray("verbs").add("get").add("patch").add("update");
      }
    }
    return list;
  }

  /** GET/PATCH/PUT of {@code .../scale}: reads or writes {@code spec.replicas} of the object. */
  private MockResponse scale(RecordedRequest request, Matcher m, String objectPath) throws Exception {
    MockResponse current = crud.handleGet(objectPath);
    if (current.code() != 200) {
      return current;
    }
    ObjectNode object = (ObjectNode) JSON.readTree(current.getBody().getBytes());
    String method = request.getMethod();
    if (method.equals("PATCH") || method.equals("PUT")) {
      JsonNode body = JSON.readTree(request.getUtf8Body());
      JsonNode replicas = body.path("spec").path("replicas");
      if (body.isArray()) { // JSON patch: [{"op":"replace","path":"/spec/replicas","value":N}]
        for (JsonNode op : body) {
          if (op.path("path").asText().equals("/spec/replicas")) {
            replicas = op.path("value");
          }
        }
      }
      if (!replicas.isInt()) {
        return json(422, status(422, "Invalid", "scale: spec.replicas must be an integer"));
      }
      ObjectNode patch = JSON.createObjectNode();
      patch.putObject("spec").put("replicas", replicas.asInt());
      RecordedRequest merge = new RecordedRequest("HTTP/1.1", HttpMethod.PATCH, objectPath,
          Headers.builder().add("Content-Type", "application/merge-patch+json").build(),
          new Buffer(JSON.writeValueAsBytes(patch)));
      MockResponse patched = crud.handlePatch(merge);
      if (patched.code() / 100 != 2) {
        return patched;
      }
      object = (ObjectNode) JSON.readTree(patched.getBody().getBytes());
    }
    ObjectNode scale = JSON.createObjectNode().put("apiVersion", "autoscaling/v1").put("kind", "Scale");
    JsonNode meta = object.path("metadata");
    ObjectNode md = scale.putObject("metadata");
    for (String k : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
      if (meta.has(k)) {
        md.set(k, meta.get(k));
      }
    }
    scale.putObject("spec").put("replicas", object.path("spec").path("replicas").asInt(0));
    ObjectNode st = scale.putObject("status").put("replicas", object.path("status").path("replicas").asInt(0));
    if (object.path("status").has("selector")) {
      st.put("selector", object.path("status").path("selector").asText());
    }
    return json(200, scale);
  }

  private static ObjectNode status(int code, String reason, String message) {
    return JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1")
        .put("status", "Failure").put("code", code).put("reason", reason).put("message", message);
  }

  private static MockResponse json(int code, JsonNode body) {
    try {
      return new MockResponse().setResponseCode(code)
          .setHeader("Content-Type", "application/json")
          .setBody(new String(JSON.writeValueAsBytes(body), StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
