package io.metasrv.operator.cluster;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.metasrv.config.ConfigException;
import io.metasrv.config.ConfigLoader;
import io.metasrv.config.ConfigPrinter;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec.ElectionKind;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.model.ClusterNames;
import io.metasrv.operator.model.RenderedConfig;
import io.metasrv.operator.model.StoreConnection;
import io.metasrv.operator.model.StoreKind;
import io.metasrv.operator.model.ValidCluster;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks a spec before anything is applied: the rules of the CRD schema again (an API server may
 * run an older CRD, and the schema cannot see Secrets), the referenced Secrets, and the options,
 * which go through the same {@link ConfigLoader} as {@code metasrv config --check}.
 */
public final class ClusterSpecValidator {
  /** Keys the operator derives from spec fields; setting them in options would fight the fields. */
  private static final Map<String, String> OPERATOR_KEYS =
      Map.ofEntries(
          Map.entry("bind_addr", "spec.ports.rpc"),
          Map.entry("server_addr", "spec.ports.rpc (each pod advertises its own DNS name)"),
          Map.entry("http.addr", "spec.ports.http"),
          Map.entry("store_addrs", "spec.backend"),
          Map.entry("backend", "spec.backend"),
          Map.entry("use_memory_store", "spec.backend"),
          Map.entry("store_key_prefix", "spec.backend.keyPrefix"),
          Map.entry("meta_table_name", "spec.backend.<kind>.table"),
          Map.entry("enable_region_failover", "spec.enableRegionFailover"),
          Map.entry("election.kind", "spec.election"),
          Map.entry("election.lease_name", "spec.election (one Lease per cluster)"));

  /**
   * The options section of store credentials. The operator fills it from the credentials Secret
   * for SQL stores; in options it would put a password in the spec, in plain sight.
   */
  private static final String CREDENTIALS_SECTION = "backend_auth";

  /**
   * The longest cluster name every object derived from it accepts. Most limits leave room: the
   * client Service {@code <name>} and the peer Service {@code <name>-peers} are DNS-1035 labels
   * (63), the pods {@code <name>-<ordinal>} are host names (63), the candidate Leases carry the
   * label value {@code <name>-leader} (63), the rest are DNS subdomains (253). The tightest is the
   * StatefulSet's: each pod carries the label {@code controller-revision-hash:
   * <name>-<hash of up to 10 characters>}, a label value of at most 63 characters, or the
   * StatefulSet controller cannot create the pods at all.
   */
  public static final int MAX_NAME_LENGTH = 63 - "-".length() - 10;

  /** A DNS-1035 label, as a Service's name must be: no dots, starts with a letter. */
  private static final Pattern DNS_1035_LABEL =
      Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");

  /** How configuration errors name spec.options.toml, where a file's path would be. */
  private static final String TOML_SOURCE = "spec.options.toml";

  /** Looks up a Secret by namespace and name; empty when it does not exist. */
  private final BiFunction<String, String, Optional<Secret>> secrets;

  public ClusterSpecValidator(BiFunction<String, String, Optional<Secret>> secrets) {
    this.secrets = secrets;
  }

  public ValidCluster validate(MetasrvCluster cluster) throws InvalidSpecException {
    MetasrvClusterSpec spec = cluster.getSpec();
    if (spec == null) {
      throw new InvalidSpecException("spec", "is required");
    }
    requireUsableName(cluster.getMetadata().getName());
    ClusterNames names = ClusterNames.of(cluster);
    int replicas = orDefault(spec.replicas, MetasrvClusterSpec.DEFAULT_REPLICAS);
    if (replicas < 1) {
      throw new InvalidSpecException("spec.replicas", "must be at least 1, got " + replicas);
    }
    if (spec.image == null || spec.image.isBlank() || spec.image.matches(".*\\s.*")) {
      throw new InvalidSpecException("spec.image", "must be an image reference without spaces");
    }
    MetasrvClusterSpec.Ports ports =
        spec.ports != null ? spec.ports : new MetasrvClusterSpec.Ports();
    int rpcPort = port("spec.ports.rpc", ports.rpc, MetasrvClusterSpec.DEFAULT_RPC_PORT);
    int httpPort = port("spec.ports.http", ports.http, MetasrvClusterSpec.DEFAULT_HTTP_PORT);
    if (rpcPort == httpPort) {
      throw new InvalidSpecException("spec.ports.http", "must differ from spec.ports.rpc");
    }
    StoreConnection store = store(spec.backend, names.namespace());
    if (spec.tls != null) {
      requireSecret("spec.tls.secretName", names.namespace(), spec.tls.secretName, List.of());
    }
    requireRequestsWithinLimits(spec.resources);
    ElectionKind election = spec.election != null ? spec.election : ElectionKind.BACKEND;
    if (store.kind() == StoreKind.MEMORY) {
      requireSingleNode(spec, replicas, election);
    }
    RenderedConfig config = renderConfig(spec, store, rpcPort, httpPort, election, names);
    return new ValidCluster(cluster, names, replicas, rpcPort, httpPort, election, store, config,
        secretVersions(cluster));
  }

  /** See {@link ValidCluster}; every referenced Secret exists once validation got here. */
  private String secretVersions(MetasrvCluster cluster) {
    return ReferencedSecrets.of(cluster).stream()
        .sorted(Comparator.comparing(ResourceID::getName))
        .flatMap(id -> secrets.apply(id.getNamespace().orElseThrow(), id.getName()).stream())
        .map(secret -> secret.getMetadata().getName() + "="
            + secret.getMetadata().getResourceVersion())
        .collect(Collectors.joining(","));
  }

  /**
   * The custom resource's name may be any DNS subdomain, longer and with dots; the objects named
   * after it cannot (see {@link #MAX_NAME_LENGTH}). Refused before anything is created, so that
   * no half of the cluster exists.
   */
  private static void requireUsableName(String name) throws InvalidSpecException {
    if (name == null || !DNS_1035_LABEL.matcher(name).matches()) {
      throw new InvalidSpecException(
          "metadata.name",
          "must be a DNS-1035 label (lower case letters, digits and '-', starting with a letter"
              + " and ending with a letter or digit, no dots), as the Services named after it"
              + " are; got " + name);
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new InvalidSpecException(
          "metadata.name",
          "must be at most " + MAX_NAME_LENGTH + " characters, got " + name.length()
              + ": the StatefulSet's pods carry the label controller-revision-hash: <name>-<hash"
              + " of 10 characters>, at most 63 characters");
    }
  }

  /**
   * The API server refuses a pod template whose request exceeds its limit for a resource (422),
   * which would come after the ConfigMap was already updated. A request without a limit, or a
   * limit without a request, is left to the API server (the request then defaults to the limit).
   */
  private static void requireRequestsWithinLimits(ResourceRequirements resources)
      throws InvalidSpecException {
    if (resources == null || resources.getRequests() == null || resources.getLimits() == null) {
      return;
    }
    for (Map.Entry<String, Quantity> request : resources.getRequests().entrySet()) {
      Quantity limit = resources.getLimits().get(request.getKey());
      if (limit == null || request.getValue() == null) {
        continue;
      }
      String requestField = "spec.resources.requests." + request.getKey();
      String limitField = "spec.resources.limits." + request.getKey();
      BigDecimal requested = amount(requestField, request.getValue());
      if (requested.compareTo(amount(limitField, limit)) > 0) {
        throw new InvalidSpecException(
            requestField,
            "must not exceed " + limitField + " (" + request.getValue() + " > " + limit + ")");
      }
    }
  }

  private static BigDecimal amount(String field, Quantity quantity) throws InvalidSpecException {
    try {
      return quantity.getNumericalAmount();
    } catch (RuntimeException e) {
      throw new InvalidSpecException(field, "is not a quantity: " + quantity);
    }
  }

  private StoreConnection store(MetasrvClusterSpec.Backend backend, String namespace)
      throws InvalidSpecException {
    if (backend == null) {
      throw new InvalidSpecException("spec.backend", "is required");
    }
    List<StoreKind> chosen = new ArrayList<>();
    if (backend.etcd != null) {
      chosen.add(StoreKind.ETCD);
    }
    if (backend.postgres != null) {
      chosen.add(StoreKind.POSTGRES);
    }
    if (backend.mysql != null) {
      chosen.add(StoreKind.MYSQL);
    }
    if (backend.memory != null) {
      chosen.add(StoreKind.MEMORY);
    }
    if (chosen.size() != 1) {
      throw new InvalidSpecException(
          "spec.backend",
          "exactly one of etcd, postgres, mysql and memory must be set, got "
              + chosen.stream().map(StoreKind::specName).toList());
    }
    StoreKind kind = chosen.get(0);
    if (kind == StoreKind.MEMORY) {
      return new StoreConnection(kind, List.of(), null);
    }
    if (kind == StoreKind.ETCD) {
      List<String> endpoints = backend.etcd.endpoints;
      if (endpoints == null || endpoints.isEmpty()) {
        throw new InvalidSpecException("spec.backend.etcd.endpoints", "must list at least one");
      }
      for (int i = 0; i < endpoints.size(); i++) {
        String endpoint = endpoints.get(i);
        if (endpoint == null || endpoint.isBlank() || endpoint.matches(".*[,\\s].*")) {
          throw new InvalidSpecException(
              "spec.backend.etcd.endpoints[" + i + "]",
              "must be a host:port without commas or spaces");
        }
      }
      return new StoreConnection(kind, List.copyOf(endpoints), null);
    }
    MetasrvClusterSpec.Sql sql = kind == StoreKind.POSTGRES ? backend.postgres : backend.mysql;
    String field = "spec.backend." + kind.specName();
    requireWord(field + ".host", sql.host);
    requireWord(field + ".database", sql.database);
    if (sql.port != null && (sql.port < 1 || sql.port > 65535)) {
      throw new InvalidSpecException(field + ".port", "must be 1-65535, got " + sql.port);
    }
    MetasrvClusterSpec.CredentialsSecret credentials = sql.credentialsSecret;
    if (credentials == null) {
      throw new InvalidSpecException(field + ".credentialsSecret", "is required");
    }
    requireSecret(
        field + ".credentialsSecret.name",
        namespace,
        credentials.name,
        List.of(StoreConnection.usernameKey(credentials), StoreConnection.passwordKey(credentials)));
    return new StoreConnection(kind, List.of(), sql);
  }

  /**
   * A memory store lives in one pod: a second replica would keep metadata of its own, and a
   * Lease would only elect among stores that do not know each other. The lone replica leads by
   * itself (metasrv's election for memory_store), so kubernetes-lease is refused rather than given
   * RBAC it has no use for. Both are refused, not corrected: the operator never rewrites a spec.
   */
  private static void requireSingleNode(
      MetasrvClusterSpec spec, int replicas, ElectionKind election) throws InvalidSpecException {
    if (replicas != 1) {
      throw new InvalidSpecException(
          "spec.replicas",
          "must be 1 with spec.backend.memory (each replica would keep its own metadata), got "
              + replicas
              + (spec.replicas == null ? " (the default)" : ""));
    }
    if (election == ElectionKind.KUBERNETES_LEASE) {
      throw new InvalidSpecException(
          "spec.election",
          "kubernetes-lease does not apply to spec.backend.memory: its single replica leads"
              + " alone; leave spec.election out or set it to backend");
    }
  }

  private void requireSecret(String field, String namespace, String name, List<String> keys)
      throws InvalidSpecException {
    if (name == null || name.isBlank()) {
      throw new InvalidSpecException(field, "is required");
    }
    Secret secret =
        secrets
            .apply(namespace, name)
            .orElseThrow(
                () -> new InvalidSpecException(field, "Secret " + name + " does not exist"));
    for (String key : keys) {
      boolean present =
          (secret.getData() != null && secret.getData().containsKey(key))
              || (secret.getStringData() != null && secret.getStringData().containsKey(key));
      if (!present) {
        throw new InvalidSpecException(field, "Secret " + name + " has no key " + key);
      }
    }
  }

  /**
   * Renders the options the way a pod will load them: the user's TOML as the file, the keys the
   * operator derives as overrides on top. Only {@code server_addr} is left to the pod's flag.
   */
  private static RenderedConfig renderConfig(
      MetasrvClusterSpec spec, StoreConnection store, int rpcPort, int httpPort,
      ElectionKind election, ClusterNames names) throws InvalidSpecException {
    MetasrvClusterSpec.Options options =
        spec.options != null ? spec.options : new MetasrvClusterSpec.Options();
    Map<String, String> userOverrides = options.overrides != null ? options.overrides : Map.of();
    refuseOperatorKeys(options.toml, userOverrides, store);

    Map<String, String> overrides = new LinkedHashMap<>(userOverrides);
    overrides.put("bind_addr", "0.0.0.0:" + rpcPort);
    overrides.put("http.addr", "0.0.0.0:" + httpPort);
    overrides.put("backend", store.kind().backend().configName());
    if (store.kind() != StoreKind.MEMORY) {
      overrides.put("store_addrs", String.join(",", store.addressesWithoutCredentials()));
    }
    if (spec.backend.keyPrefix != null) {
      overrides.put("store_key_prefix", spec.backend.keyPrefix);
    }
    if (store.sql() != null && store.sql().table != null) {
      overrides.put("meta_table_name", store.sql().table);
    }
    if (store.hasCredentials()) {
      // The user name comes through the pod's environment (StoreConnection.USERNAME_ENV).
      overrides.put(CREDENTIALS_SECTION + ".password_file", StoreConnection.PASSWORD_FILE);
    }
    if (election == ElectionKind.KUBERNETES_LEASE) {
      // one Lease per cluster, so that clusters sharing a namespace elect apart; the namespace
      // comes from POD_NAMESPACE, which the pod template sets
      overrides.put("election.kind", "kubernetes-lease");
      overrides.put("election.lease_name", names.electionLease());
    }
    if (spec.enableRegionFailover != null) {
      overrides.put("enable_region_failover", spec.enableRegionFailover.toString());
    }
    try {
      // From the text: the operator's root filesystem may be read-only, and need not be writable.
      MetasrvOptions loaded =
          options.toml != null
              ? ConfigLoader.load(options.toml, TOML_SOURCE, Map.of(), overrides)
              : ConfigLoader.load((Path) null, Map.of(), overrides);
      return new RenderedConfig(ConfigPrinter.toUnredactedToml(loaded));
    } catch (ConfigException e) {
      throw new InvalidSpecException(fieldOf(e, userOverrides), e.reason());
    }
  }

  private static void refuseOperatorKeys(
      String toml, Map<String, String> overrides, StoreConnection store)
      throws InvalidSpecException {
    for (String key : overrides.keySet()) {
      if (OPERATOR_KEYS.containsKey(key)) {
        throw new InvalidSpecException(
            "spec.options.overrides[" + key + "]",
            "is set by the operator from " + OPERATOR_KEYS.get(key));
      }
      if (key.equals(CREDENTIALS_SECTION) || key.startsWith(CREDENTIALS_SECTION + ".")) {
        throw new InvalidSpecException(
            "spec.options.overrides[" + key + "]", credentialsRefusal(store));
      }
    }
    if (toml == null) {
      return;
    }
    JsonNode document;
    try {
      document = new TomlMapper().readTree(toml);
    } catch (JacksonException e) {
      throw new InvalidSpecException("spec.options.toml", "malformed TOML: " + e.getOriginalMessage());
    }
    for (Map.Entry<String, String> key : OPERATOR_KEYS.entrySet()) {
      if (!document.at("/" + key.getKey().replace('.', '/')).isMissingNode()) {
        throw new InvalidSpecException(
            "spec.options.toml",
            key.getKey() + " is set by the operator from " + key.getValue());
      }
    }
    if (document.has(CREDENTIALS_SECTION)) {
      throw new InvalidSpecException(
          "spec.options.toml", "[" + CREDENTIALS_SECTION + "] " + credentialsRefusal(store));
    }
  }

  /** Why credentials in options are refused, naming where they belong for this store. */
  private static String credentialsRefusal(StoreConnection store) {
    String secretField = store.hasCredentials()
        ? "spec.backend." + store.kind().specName() + ".credentialsSecret"
        : "spec.backend.postgres.credentialsSecret or spec.backend.mysql.credentialsSecret";
    return "is not accepted in options: store credentials come only from the Secret that "
        + secretField + " names (the operator passes the user name and the password file to"
        + " the pods from it)";
  }

  /** The spec field behind a configuration error: the TOML, one override, or the options. */
  private static String fieldOf(ConfigException e, Map<String, String> overrides) {
    String key = e.keyPath();
    if (e.source().equals(TOML_SOURCE)) {
      return key.isEmpty() ? "spec.options.toml" : "spec.options.toml: " + key;
    }
    if (overrides.containsKey(key)) {
      return "spec.options.overrides[" + key + "]";
    }
    return key.isEmpty() ? "spec.options" : "spec.options: " + key;
  }

  private static int port(String field, Integer value, int defaultPort)
      throws InvalidSpecException {
    int port = orDefault(value, defaultPort);
    if (port < 1 || port > 65535) {
      throw new InvalidSpecException(field, "must be 1-65535, got " + port);
    }
    return port;
  }

  private static void requireWord(String field, String value) throws InvalidSpecException {
    if (value == null || value.isBlank() || value.matches(".*[\\s/@:,].*")) {
      throw new InvalidSpecException(field, "must be set, without spaces, '/', '@', ':' or ','");
    }
  }

  private static int orDefault(Integer value, int defaultValue) {
    return value != null ? value : defaultValue;
  }
}
