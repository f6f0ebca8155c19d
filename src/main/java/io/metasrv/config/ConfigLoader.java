package io.metasrv.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.metasrv.config.ConfigTree.Node;
import io.metasrv.config.ConfigTree.Section;
import io.metasrv.config.ConfigTree.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads {@link MetasrvOptions} from four layers, each overriding the ones before it key by key: the
 * defaults, a TOML file, {@code GREPTIMEDB_METASRV__SECTION__KEY} environment variables, and
 * overrides from the command line. Then reconciles {@code use_memory_store} with {@code backend}
 * and validates the result, so a returned options value is always usable.
 *
 * <p>GreptimeDB itself ranks the file above the environment (flags above both); we rank the
 * environment above the file, as most deployments expect (a container's environment adjusts the
 * file baked into its image), and unlike GreptimeDB we reject unknown keys instead of ignoring
 * them, so a typo cannot silently leave a default in force.
 */
public final class ConfigLoader {
  /** The prefix of the environment variables read, followed by {@code __}. */
  public static final String ENV_PREFIX = "GREPTIMEDB_METASRV";

  static final String DEFAULTS_SOURCE = "defaults";

  private static final String ENV_SEPARATOR = "__";

  /**
   * GreptimeDB's {@code [runtime]} sizes its async runtimes; a JVM process has no such runtimes, so
   * these keys are accepted for compatibility and have no effect.
   */
  private static final Set<String> IGNORED_RUNTIME_KEYS =
      Set.of("global_rt_size", "compact_rt_size");

  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

  private ConfigLoader() {}

  /**
   * Loads and validates the effective options.
   *
   * @param configFileOrNull TOML file, or null for none
   * @param env the process environment; variables without the prefix are ignored
   * @param overrides dotted key paths ({@code bind_addr}, {@code http.addr}) to values written as
   *     in the environment (lists comma-separated); the command line builds this from its flags,
   *     and errors name the value's source as {@code --bind-addr}, {@code --http-addr}
   * @throws ConfigException naming the key, the reason and the layer at fault
   */
  public static MetasrvOptions load(
      Path configFileOrNull, Map<String, String> env, Map<String, String> overrides) {
    return load(
        configFileOrNull != null ? readToml(configFileOrNull) : null,
        configFileOrNull != null ? configFileOrNull.toString() : null,
        env,
        overrides);
  }

  /**
   * Loads and validates the effective options with the TOML layer given as text, as {@link
   * #load(Path, Map, Map)} does with a file; nothing is read from or written to the filesystem.
   *
   * @param toml the TOML document
   * @param source names the document in errors ({@link ConfigException#source()}), where a file's
   *     path would be
   */
  public static MetasrvOptions load(
      String toml, String source, Map<String, String> env, Map<String, String> overrides) {
    return load(parseToml(toml, source), source, env, overrides);
  }

  private static MetasrvOptions load(
      JsonNode documentOrNull,
      String source,
      Map<String, String> env,
      Map<String, String> overrides) {
    ConfigTree tree = new ConfigTree();
    if (documentOrNull != null) {
      tree.merge(documentOrNull, source);
    }
    // Sorted, so that which of two clashing entries wins does not depend on hash order.
    new TreeMap<>(env).forEach((name, value) -> putEnvVariable(tree, name, value));
    new TreeMap<>(overrides)
        .forEach(
            (key, value) -> tree.put(pathOf(key, flagName(key)), new Value(value, flagName(key))));
    dropIgnoredRuntimeSection(tree.root());

    MetasrvOptions bound =
        new OptionsBinder(MetasrvOptions.class)
            .bind(MetasrvOptions.class, tree.root(), MetasrvOptions.defaults());
    MetasrvOptions options = reconcileBackend(bound, tree);
    OptionsValidator.validate(options, tree::sourceOf);
    return options;
  }

  /** Loads a file alone, without environment or overrides. */
  public static MetasrvOptions load(Path configFile) {
    return load(configFile, Map.of(), Map.of());
  }

  /**
   * {@code use_memory_store = true} and {@code backend = "memory_store"} say the same thing: if
   * either says memory, both do. The flag wins over a different backend that some layer set
   * explicitly (the seed's behaviour, where the flag picks the store); that is remembered and
   * logged, since the operator asked for two things and gets one.
   */
  private static MetasrvOptions reconcileBackend(MetasrvOptions options, ConfigTree tree) {
    if (options.backend() == BackendKind.MEMORY_STORE) {
      return options.withMemoryStore(Optional.empty());
    }
    if (!options.useMemoryStore()) {
      return options;
    }
    String backendSource = tree.sourceOf("backend");
    if (backendSource.equals(DEFAULTS_SOURCE)) {
      return options.withMemoryStore(Optional.empty());
    }
    log.warn(
        "use_memory_store = true ({}) overrides backend = {} ({}): metadata is kept in memory",
        tree.sourceOf("use_memory_store"),
        options.backend().configName(),
        backendSource);
    return options.withMemoryStore(Optional.of(options.backend()));
  }

  private static JsonNode readToml(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      String reason = e instanceof NoSuchFileException ? "no such file" : e.toString();
      throw new ConfigException("", "cannot read the file: " + reason, file.toString());
    }
    return parseToml(text, file.toString());
  }

  private static JsonNode parseToml(String text, String source) {
    try {
      // Editors on Windows may start the file with a byte order mark, which TOML does not allow.
      return new TomlMapper().readTree(text.startsWith("\uFEFF") ? text.substring(1) : text);
    } catch (JacksonException e) {
      JsonLocation location = e.getLocation();
      String where =
          location == null || location.getLineNr() < 1
              ? ""
              : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
      throw new ConfigException(
          "", "malformed TOML" + where + ": " + e.getOriginalMessage(), source);
    }
  }

  private static void putEnvVariable(ConfigTree tree, String name, String value) {
    String prefix = ENV_PREFIX + ENV_SEPARATOR;
    if (!name.toUpperCase(Locale.ROOT).startsWith(prefix) || value.isEmpty()) {
      // An empty variable is unset, as in GreptimeDB: container specs often declare them so.
      return;
    }
    String[] segments =
        name.substring(prefix.length()).toLowerCase(Locale.ROOT).split(ENV_SEPARATOR, -1);
    tree.put(pathOf(String.join(".", segments), name), new Value(value, name));
  }

  private static List<String> pathOf(String dottedKey, String source) {
    List<String> path = Arrays.asList(dottedKey.split("\\.", -1));
    if (path.stream().anyMatch(String::isEmpty)) {
      throw new ConfigException(dottedKey, "malformed key path", source);
    }
    return path;
  }

  /** How the command line spells the flag for a key: {@code http.addr} is {@code --http-addr}. */
  private static String flagName(String dottedKey) {
    return "--" + dottedKey.replace('.', '-').replace('_', '-');
  }

  private static void dropIgnoredRuntimeSection(Section root) {
    Node runtime = root.children().get("runtime");
    if (!(runtime instanceof Section section)) {
      return;
    }
    for (Map.Entry<String, Node> entry : section.children().entrySet()) {
      if (!IGNORED_RUNTIME_KEYS.contains(entry.getKey())) {
        String suggestion =
            KeySuggestions.closest(entry.getKey(), IGNORED_RUNTIME_KEYS)
                .map(key -> "; did you mean runtime." + key + "?")
                .orElse("");
        throw new ConfigException(
            "runtime." + entry.getKey(), "unknown key" + suggestion, entry.getValue().source());
      }
    }
    root.children().remove("runtime");
    log.info("ignoring [runtime] ({}): it sizes GreptimeDB's async runtimes", section.source());
  }
}
