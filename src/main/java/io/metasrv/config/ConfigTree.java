package io.metasrv.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration layers merged key by key, before any value is interpreted. A later layer
 * replaces the values it sets and leaves the rest, so {@code GREPTIMEDB_METASRV__HTTP__ADDR}
 * changes {@code http.addr} and keeps the file's {@code http.timeout}. Every value remembers the
 * layer it came from, so errors can name it.
 *
 * <p>Newer GreptimeDB's names for keys that the seed, and we, keep elsewhere ({@code [grpc]
 * bind_addr} and {@code server_addr}) are aliases: a value set under one is stored under the
 * canonical key, so {@code metasrv config} prints it there. One layer setting both an alias and
 * its key to different values is an error.
 */
final class ConfigTree {
  /** Alias path to canonical path. */
  private static final Map<List<String>, List<String>> ALIASES = Map.of(
      List.of("grpc", "bind_addr"), List.of("bind_addr"),
      List.of("grpc", "server_addr"), List.of("server_addr"));

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

  /** Sets {@code path} (or the key it is an alias of) to {@code value}, creating sections. */
  void put(List<String> path, Value value) {
    List<String> canonical = ALIASES.get(path);
    if (canonical != null) {
      refuseClash(path, canonical, value);
      path = canonical;
    }
    Section section = root;
    for (String key : path.subList(0, path.size() - 1)) {
      section = sectionAt(section, key, value.source());
    }
    section.children().put(path.get(path.size() - 1), value);
  }

  /** Merges a parsed TOML document. */
  void merge(JsonNode table, String source) {
    merge(root, new ArrayList<>(), table, source);
  }

  private void merge(Section section, List<String> path, JsonNode table, String source) {
    for (Map.Entry<String, JsonNode> field : table.properties()) {
      path.add(field.getKey());
      if (field.getValue().isObject()) {
        merge(sectionAt(section, field.getKey(), source), path, field.getValue(), source);
      } else if (ALIASES.containsKey(path)) {
        put(List.copyOf(path), new Value(field.getValue(), source));
      } else {
        section.children().put(field.getKey(), new Value(field.getValue(), source));
      }
      path.remove(path.size() - 1);
    }
  }

  private void refuseClash(List<String> alias, List<String> canonical, Value value) {
    Node existing = nodeAt(canonical);
    if (existing instanceof Value set && set.source().equals(value.source())
        && !String.valueOf(set.raw()).equals(String.valueOf(value.raw()))) {
      throw new ConfigException(String.join(".", alias), "sets the same option as "
          + String.join(".", canonical) + " (newer GreptimeDB's name for it) to a different value;"
          + " keep one of them", value.source());
    }
  }

  private Node nodeAt(List<String> path) {
    Node node = root;
    for (String key : path) {
      if (!(node instanceof Section section) || !section.children().containsKey(key)) {
        return null;
      }
      node = section.children().get(key);
    }
    return node;
  }

  /** Merges a TOML table into {@code section}: an array-of-tables entry, which has no aliases. */
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
    Node node = nodeAt(List.of(dottedPath.split("\\.")));
    return node == null ? ConfigLoader.DEFAULTS_SOURCE : node.source();
  }
}
