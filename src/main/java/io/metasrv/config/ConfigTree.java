package io.metasrv.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration layers merged key by key, before any value is interpreted. A later layer
 * replaces the values it sets and leaves the rest, so {@code GREPTIMEDB_METASRV__HTTP__ADDR}
 * changes {@code http.addr} and keeps the file's {@code http.timeout}. Every value remembers the
 * layer it came from, so errors can name it.
 */
final class ConfigTree {
  /** A section or a value. */
  sealed interface Node permits Section, Value {
    String source();
  }

  /** A table of keys; {@code source} is the layer that introduced it. */
  record Section(Map<String, Node> children, String source) implements Node {
    Section(String source) {
      this(new LinkedHashMap<>(), source);
    }
  }

  /**
   * One value: a {@link JsonNode} parsed from TOML (typed), or a {@link String} from the
   * environment or a flag (text to be parsed by the key's type, lists comma-separated).
   */
  record Value(Object raw, String source) implements Node {}

  private final Section root = new Section(ConfigLoader.DEFAULTS_SOURCE);

  Section root() {
    return root;
  }

  /** Sets {@code path} to {@code value}, creating sections on the way. */
  void put(List<String> path, Value value) {
    Section section = root;
    for (String key : path.subList(0, path.size() - 1)) {
      section = sectionAt(section, key, value.source());
    }
    section.children().put(path.get(path.size() - 1), value);
  }

  /** Merges a parsed TOML document. */
  void merge(JsonNode table, String source) {
    merge(root, table, source);
  }

  /** Merges a TOML table into {@code section}; also used for array-of-tables entries. */
  static void merge(Section section, JsonNode table, String source) {
    for (Map.Entry<String, JsonNode> field : table.properties()) {
      if (field.getValue().isObject()) {
        merge(sectionAt(section, field.getKey(), source), field.getValue(), source);
      } else {
        section.children().put(field.getKey(), new Value(field.getValue(), source));
      }
    }
  }

  private static Section sectionAt(Section parent, String key, String source) {
    if (parent.children().get(key) instanceof Section existing) {
      return existing;
    }
    Section created = new Section(source);
    parent.children().put(key, created);
    return created;
  }

  /** The layer that set {@code dottedPath}, or the defaults if none did. */
  String sourceOf(String dottedPath) {
    Node node = root;
    for (String key : dottedPath.split("\\.")) {
      if (!(node instanceof Section section) || !section.children().containsKey(key)) {
        return ConfigLoader.DEFAULTS_SOURCE;
      }
      node = section.children().get(key);
    }
    return node.source();
  }
}
