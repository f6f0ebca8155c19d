package io.metasrv.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Kubernetes objects read from multi-document YAML, as plain JSON trees. */
final class Manifests {
  static final YAMLMapper YAML = new YAMLMapper();
  static final Path CRDS = Path.of("crds");
  static final Path INSTALL = Path.of("manifests/install.yaml");
  static final Path SAMPLES = Path.of("manifests/samples");
  static final Path OPERATOR = Path.of("manifests/operator");
  static final Path CHART = Path.of("charts/metasrv-operator");

  private Manifests() {}

  static List<JsonNode> read(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every non-empty document (helm and hand-written files both have empty ones). */
  static List<JsonNode> parse(String yaml) {
    try (var parser = YAML.getFactory().createParser(yaml)) {
      return YAML.readValues(parser, JsonNode.class).readAll().stream()
          .filter(node -> node != null && node.isObject() && !node.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Path> yamlFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CRDs in crds/, the source every copy is held to. */
  static List<JsonNode> crds() {
    return yamlFiles(CRDS).stream().map(Manifests::read).flatMap(List::stream).toList();
  }

  static String kind(JsonNode object) {
    return object.path("kind").asText();
  }

  static String name(JsonNode object) {
    return object.path("metadata").path("name").asText();
  }

  /** "Kind/namespace/name", namespace empty for cluster-scoped objects. */
  static String id(JsonNode object) {
    return kind(object) + "/" + object.path("metadata").path("namespace").asText() + "/"
        + name(object);
  }

  static List<JsonNode> ofKind(List<JsonNode> objects, String kind) {
    return objects.stream().filter(o -> kind(o).equals(kind)).toList();
  }

  static JsonNode only(List<JsonNode> objects, String kind) {
    List<JsonNode> found = ofKind(objects, kind);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + ", found " + found.size());
    }
    return found.get(0);
  }

  /** The operator Deployment's single container. */
  static JsonNode container(JsonNode deployment) {
    JsonNode containers = deployment.at("/spec/template/spec/containers");
    if (containers.size() != 1) {
      throw new AssertionError("expected one container in " + id(deployment));
    }
    return containers.get(0);
  }

  /** A map of strings (labels, a selector) as a Java map. */
  static Map<String, String> stringMap(JsonNode map) {
    Map<String, String> strings = new TreeMap<>();
    map.fields().forEachRemaining(e -> strings.put(e.getKey(), e.getValue().asText()));
    return strings;
  }

  /** A copy of node with only the given fields (those present). */
  static ObjectNode pick(JsonNode node, String... fields) {
    ObjectNode picked = YAML.createObjectNode();
    for (String field : fields) {
      if (node.has(field)) {
        picked.set(field, node.get(field));
      }
    }
    return picked;
  }
}
