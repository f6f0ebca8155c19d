package io.metasrv.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.config.ConfigTree.Node;
import io.metasrv.config.ConfigTree.Section;
import io.metasrv.config.ConfigTree.Value;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns a {@link ConfigTree} into options records: every key the tree sets is checked against the
 * schema and converted to its component's type, every key it leaves out keeps its default. Values
 * from TOML must already have the right TOML type ({@code "128"} is not an integer); values from
 * the environment and flags are text parsed by the key's type.
 */
final class OptionsBinder {
  private final List<String> allKeyPaths;

  OptionsBinder(Class<?> rootType) {
    this.allKeyPaths = OptionsSchema.allKeyPaths(rootType);
  }

  <R> R bind(Class<R> rootType, Section root, R defaults) {
    return rootType.cast(bindSection(rootType, "", root, defaults));
  }

  private Object bindSection(Class<?> type, String prefix, Section section, Object defaults) {
    List<RecordComponent> keys = OptionsSchema.keys(type);
    Set<String> known = keys.stream().map(OptionsSchema::keyName).collect(Collectors.toSet());
    for (Map.Entry<String, Node> entry : section.children().entrySet()) {
      if (!known.contains(entry.getKey())) {
        throw unknownKey(prefix + entry.getKey(), known, entry.getValue().source());
      }
    }
    RecordComponent[] components = type.getRecordComponents();
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent component = components[i];
      Object fallback = defaults == null ? null : OptionsSchema.valueOf(component, defaults);
      Node node = section.children().get(OptionsSchema.keyName(component));
      String path = prefix + OptionsSchema.keyName(component);
      if (component.isAnnotationPresent(Derived.class) || (node == null && fallback != null)) {
        values[i] = fallback;
      } else if (node != null) {
        values[i] = bindValue(component.getGenericType(), path, node, fallback);
      } else if (component.getType() == Optional.class) {
        values[i] = Optional.empty();
      } else {
        throw new ConfigException(
            path,
            "missing; every key of [" + sectionName(prefix) + "] is required",
            section.source());
      }
    }
    return OptionsSchema.construct(type, values);
  }

  private Object bindValue(Type type, String path, Node node, Object fallback) {
    Class<?> raw = OptionsSchema.rawType(type);
    if (raw == Optional.class) {
      Object present = fallback == null ? null : ((Optional<?>) fallback).orElse(null);
      return Optional.of(bindValue(OptionsSchema.elementType(type), path, node, present));
    }
    if (OptionsSchema.isSection(type)) {
      if (!(node instanceof Section section)) {
        throw new ConfigException(
            path,
            "is a section; set its keys (" + path + ".<key>), not the section itself",
            node.source());
      }
      Object defaults = fallback != null ? fallback : OptionsSchema.defaultsOf(raw).orElse(null);
      return bindSection(raw, path + ".", section, defaults);
    }
    if (raw == Map.class) {
      return bindStringMap(path, node);
    }
    if (!(node instanceof Value value)) {
      throw new ConfigException(path, "expected a value, not a section", node.source());
    }
    if (raw == List.class) {
      return bindList(OptionsSchema.elementType(type), path, value);
    }
    return convert(raw, path, value);
  }

  private Map<String, String> bindStringMap(String path, Node node) {
    if (!(node instanceof Section section)) {
      throw new ConfigException(
          path,
          "expected a table of names to strings, such as { name = \"value\" }",
          node.source());
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, Node> entry : section.children().entrySet()) {
      String entryPath = path + "." + entry.getKey();
      if (!(entry.getValue() instanceof Value value)) {
        throw new ConfigException(
            entryPath, "expected a string, not a table", entry.getValue().source());
      }
      map.put(entry.getKey(), (String) convert(String.class, entryPath, value));
    }
    return map;
  }

  private List<Object> bindList(Type elementType, String path, Value value) {
    boolean ofSections = OptionsSchema.isSection(elementType);
    Class<?> elementClass = OptionsSchema.rawType(elementType);
    List<Object> list = new ArrayList<>();
    if (value.raw() instanceof String text) {
      if (ofSections) {
        throw new ConfigException(path, "can only be set in a config file", value.source());
      }
      // Comma-separated, as GreptimeDB splits its list environment variables.
      for (String item : text.split(",")) {
        if (!item.isBlank()) {
          list.add(convert(elementClass, path, new Value(item.trim(), value.source())));
        }
      }
      return list;
    }
    JsonNode json = (JsonNode) value.raw();
    if (!json.isArray()) {
      throw new ConfigException(
          path, "expected an array such as [\"a\", \"b\"], got " + describe(json), value.source());
    }
    for (int i = 0; i < json.size(); i++) {
      String itemPath = path + "[" + i + "]";
      JsonNode item = json.get(i);
      if (!ofSections) {
        list.add(convert(elementClass, itemPath, new Value(item, value.source())));
      } else if (item.isObject()) {
        Section section = new Section(value.source());
        ConfigTree.merge(section, item, value.source());
        Object defaults = OptionsSchema.defaultsOf(elementClass).orElse(null);
        list.add(bindSection(elementClass, itemPath + ".", section, defaults));
      } else {
        throw new ConfigException(
            itemPath, "expected a table, got " + describe(item), value.source());
      }
    }
    return list;
  }

  private static Object convert(Class<?> type, String path, Value value) {
    try {
      return value.raw() instanceof String text
          ? fromText(type, text)
          : fromToml(type, (JsonNode) value.raw());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path, e.getMessage(), value.source());
    }
  }

  private static Object fromText(Class<?> type, String text) {
    if (type == String.class) {
      return text;
    }
    String trimmed = text.trim();
    if (type == boolean.class) {
      if (trimmed.equalsIgnoreCase("true") || trimmed.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(trimmed);
      }
      throw new IllegalArgumentException(
          "expected a boolean (true or false), got \"" + text + "\"");
    }
    if (type == int.class || type == long.class) {
      try {
        return checkedInteger(type, new BigInteger(trimmed));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected an integer, got \"" + text + "\"");
      }
    }
    if (type == double.class || type == Double.class) {
      try {
        return checkedDouble(Double.parseDouble(trimmed));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a number, got \"" + text + "\"");
      }
    }
    return fromString(type, trimmed);
  }

  private static Object fromToml(Class<?> type, JsonNode json) {
    if (type == String.class) {
      return requireString(json, "a string");
    }
    if (type == boolean.class) {
      if (!json.isBoolean()) {
        throw new IllegalArgumentException(
            "expected a boolean (true or false), got " + describe(json));
      }
      return json.booleanValue();
    }
    if (type == int.class || type == long.class) {
      if (!json.isIntegralNumber()) {
        throw new IllegalArgumentException("expected an integer, got " + describe(json));
      }
      return checkedInteger(type, json.bigIntegerValue());
    }
    if (type == double.class || type == Double.class) {
      if (!json.isNumber()) {
        throw new IllegalArgumentException("expected a number, got " + describe(json));
      }
      return checkedDouble(json.doubleValue());
    }
    if (type == ReadableSize.class && json.isIntegralNumber()) {
      return new ReadableSize((long) checkedInteger(long.class, json.bigIntegerValue()));
    }
    if (type == Duration.class) {
      return HumanDuration.parse(requireString(json, "a duration such as \"500ms\" or \"24h\""));
    }
    if (type == ReadableSize.class) {
      return ReadableSize.parse(requireString(json, "a size such as \"64MiB\" or a byte count"));
    }
    return fromString(type, requireString(json, "a string"));
  }

  /** Types written as strings in TOML and in text alike. */
  private static Object fromString(Class<?> type, String text) {
    if (type == Duration.class) {
      return HumanDuration.parse(text);
    }
    if (type == ReadableSize.class) {
      return ReadableSize.parse(text);
    }
    if (type.isEnum() && ConfigEnum.class.isAssignableFrom(type)) {
      return parseEnum(type, text);
    }
    throw new IllegalStateException("no conversion to " + type);
  }

  /**
   * Matches the configured spelling, and also GreptimeDB's other accepted spellings of the same
   * name: {@code LoadBased} for the selector, {@code etcd-store} as its command line writes
   * backends.
   */
  private static Object parseEnum(Class<?> type, String text) {
    for (Object constant : type.getEnumConstants()) {
      if (looseName(((ConfigEnum) constant).configName()).equals(looseName(text))) {
        return constant;
      }
    }
    String valid =
        Arrays.stream(type.getEnumConstants())
            .map(constant -> ((ConfigEnum) constant).configName())
            .collect(Collectors.joining(", "));
    throw new IllegalArgumentException("expected one of " + valid + "; got \"" + text + "\"");
  }

  private static String looseName(String name) {
    return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
  }

  private static String requireString(JsonNode json, String expected) {
    if (!json.isTextual()) {
      throw new IllegalArgumentException("expected " + expected + ", got " + describe(json));
    }
    return json.textValue();
  }

  /** Integers are unsigned in GreptimeDB's options. */
  private static Object checkedInteger(Class<?> type, BigInteger value) {
    if (value.signum() < 0) {
      throw new IllegalArgumentException("must not be negative, got " + value);
    }
    long max = type == int.class ? Integer.MAX_VALUE : Long.MAX_VALUE;
    if (value.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new IllegalArgumentException("must be at most " + max + ", got " + value);
    }
    return type == int.class ? (Object) value.intValue() : (Object) value.longValue();
  }

  private static double checkedDouble(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("expected a finite number, got " + value);
    }
    return value;
  }

  private static String describe(JsonNode json) {
    if (json.isTextual()) {
      return "\"" + json.textValue() + "\"";
    }
    if (json.isArray()) {
      return "an array";
    }
    return json.isObject() ? "a table" : json.toString();
  }

  private ConfigException unknownKey(String path, Set<String> siblings, String source) {
    String prefix = path.substring(0, path.lastIndexOf('.') + 1);
    String key = path.substring(prefix.length());
    Optional<String> suggestion =
        KeySuggestions.closest(key, siblings)
            .map(sibling -> prefix + sibling)
            .or(() -> KeySuggestions.elsewhere(path, allKeyPaths));
    return new ConfigException(
        path, "unknown key" + suggestion.map(s -> "; did you mean " + s + "?").orElse(""), source);
  }

  private static String sectionName(String prefix) {
    return prefix.substring(0, prefix.length() - 1);
  }
}
