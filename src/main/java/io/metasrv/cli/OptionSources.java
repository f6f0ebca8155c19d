package io.metasrv.cli;

import io.metasrv.config.ConfigException;
import io.metasrv.config.ConfigLoader;
import io.metasrv.config.MetasrvOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The flags of {@code greptime metasrv start}, shared by {@code start} and {@code config}, and
 * the loading of options from defaults, file, environment and these flags (in that order).
 */
final class OptionSources {
  static final String DEFAULT_ENV_PREFIX = "GREPTIMEDB_METASRV";

  @Option(names = {"-c", "--config-file"}, paramLabel = "FILE",
      description = "TOML configuration file (keys as GreptimeDB's metasrv.example.toml).")
  Path configFile;

  @Option(names = "--env-prefix", paramLabel = "PREFIX", defaultValue = DEFAULT_ENV_PREFIX,
      description = "Prefix of configuration environment variables (default: ${DEFAULT-VALUE}).")
  String envPrefix;

  @Option(names = {"--bind-addr", "--rpc-bind-addr"}, paramLabel = "HOST:PORT",
      description = "Address the gRPC server binds (bind_addr).")
  String bindAddr;

  @Option(names = {"--server-addr", "--rpc-server-addr"}, paramLabel = "HOST:PORT",
      description = "Address peers and clients reach this node at (server_addr); "
          + "detected from the first network interface when empty.")
  String serverAddr;

  @Option(names = {"--store-addrs", "--store-addr"}, split = ",", paramLabel = "ADDR",
      description = "Store endpoints, comma-separated (store_addrs).")
  List<String> storeAddrs;

  @Option(names = {"-s", "--selector"}, paramLabel = "KIND",
      description = "Datanode selector: round_robin, lease_based or load_based.")
  String selector;

  @Option(names = "--use-memory-store", arity = "0..1", fallbackValue = "true",
      paramLabel = "BOOL", description = "Keep metadata in memory (single node, for testing).")
  Boolean useMemoryStore;

  @Option(names = "--enable-region-failover", arity = "0..1", fallbackValue = "true",
      paramLabel = "BOOL", description = "Fail regions over from failed datanodes.")
  Boolean enableRegionFailover;

  @Option(names = "--http-addr", paramLabel = "HOST:PORT",
      description = "Address of the admin HTTP server (http.addr).")
  String httpAddr;

  @Option(names = "--http-timeout", paramLabel = "SECONDS",
      description = "Admin HTTP request timeout in seconds (http.timeout).")
  Long httpTimeoutSeconds;

  @Option(names = "--data-home", paramLabel = "DIR", description = "Working directory.")
  String dataHome;

  @Option(names = "--store-key-prefix", paramLabel = "PREFIX",
      description = "Prefix for every key this cluster stores (store_key_prefix).")
  String storeKeyPrefix;

  @Option(names = "--max-txn-ops", paramLabel = "N",
      description = "Most operations in one store transaction (max_txn_ops).")
  Integer maxTxnOps;

  @Option(names = "--backend", paramLabel = "BACKEND",
      description = "Metadata store: etcd_store, memory_store, postgres_store or mysql_store.")
  String backend;

  @Option(names = "--meta-table-name", paramLabel = "NAME",
      description = "Table of the PostgreSQL/MySQL store (meta_table_name).")
  String metaTableName;

  @Option(names = "--log-dir", paramLabel = "DIR", description = "Log directory (logging.dir).")
  String logDir;

  @Option(names = "--log-level", paramLabel = "LEVEL",
      description = "Log level, e.g. info or info,io.metasrv.kv=debug (logging.level).")
  String logLevel;

  /** Loads, overlays and validates; throws {@code ConfigException} naming the key. */
  MetasrvOptions load(Map<String, String> environment) {
    return ConfigLoader.load(configFile, configEnvironment(environment), flagOverrides());
  }

  /**
   * Loads from this process's environment; on invalid configuration prints why to stderr and
   * answers empty, so the command exits {@link ExitCodes#BAD_CONFIG}.
   */
  Optional<MetasrvOptions> loadOrExplain() {
    try {
      return Optional.of(load(System.getenv()));
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The environment as the loader reads it: variables under a custom {@code --env-prefix} are
   * renamed to the standard prefix, so the loader knows one spelling only.
   */
  Map<String, String> configEnvironment(Map<String, String> environment) {
    if (envPrefix.equals(DEFAULT_ENV_PREFIX)) {
      return environment;
    }
    String custom = envPrefix.toUpperCase(Locale.ROOT) + "__";
    Map<String, String> renamed = new LinkedHashMap<>();
    environment.forEach((name, value) -> {
      if (name.toUpperCase(Locale.ROOT).startsWith(custom)) {
        renamed.put(DEFAULT_ENV_PREFIX + "__" + name.substring(custom.length()), value);
      }
    });
    return renamed;
  }

  /** The flags that were given, as dotted key paths in the environment's value syntax. */
  Map<String, String> flagOverrides() {
    Map<String, String> overrides = new LinkedHashMap<>();
    put(overrides, "bind_addr", bindAddr);
    put(overrides, "server_addr", serverAddr);
    put(overrides, "store_addrs", storeAddrs == null ? null : String.join(",", storeAddrs));
    put(overrides, "selector", selector);
    put(overrides, "use_memory_store", useMemoryStore);
    put(overrides, "enable_region_failover", enableRegionFailover);
    put(overrides, "http.addr", httpAddr);
    put(overrides, "http.timeout", httpTimeoutSeconds == null ? null : httpTimeoutSeconds + "s");
    put(overrides, "data_home", dataHome);
    put(overrides, "store_key_prefix", storeKeyPrefix);
    put(overrides, "max_txn_ops", maxTxnOps);
    put(overrides, "backend", backend);
    put(overrides, "meta_table_name", metaTableName);
    put(overrides, "logging.dir", logDir);
    put(overrides, "logging.level", logLevel);
    return overrides;
  }

  private static void put(Map<String, String> overrides, String key, Object value) {
    if (value != null) {
      overrides.put(key, value.toString());
    }
  }
}
