package io.metasrv.config;

import io.metasrv.kv.rds.StoreAddresses;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Rules that no single value's type can express: ranges, address shapes and combinations of keys
 * that cannot work together. Each rule exists because the server would otherwise fail later, far
 * from the cause, or misbehave quietly.
 */
final class OptionsValidator {
  /** Written into SQL statements unquoted, so only a plain identifier is safe. */
  private static final Pattern SQL_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  /** Kafka's legal topic characters; topics are named {@code <prefix>_<n>}. */
  private static final Pattern KAFKA_TOPIC_PREFIX = Pattern.compile("[A-Za-z0-9._-]{1,240}");

  /**
   * A Kubernetes object name (RFC 1123 subdomain) that is also a label value (at most 63
   * characters), as the candidates' Leases carry it in a label.
   */
  private static final Pattern LEASE_NAME =
      Pattern.compile(
          "(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /** A Kubernetes namespace (RFC 1123 label). */
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** An HTTP header name (RFC 9110 token). */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private final Function<String, String> sourceOf;

  private OptionsValidator(Function<String, String> sourceOf) {
    this.sourceOf = sourceOf;
  }

  /**
   * @param sourceOf the layer that set a key path, for error messages
   * @throws ConfigException on the first rule broken
   */
  static void validate(MetasrvOptions options, Function<String, String> sourceOf) {
    OptionsValidator validator = new OptionsValidator(sourceOf);
    validator.validateServer(options);
    validator.validateStore(options);
    validator.validateProcedureAndDetector(options);
    validator.validateWal(options.wal(), options.enableRegionFailover());
    validator.validateExportMetrics(options.exportMetrics());
    validator.validateElection(options.election());
    validator.validateTls("backend_tls", options.backendTls());
    validator.validateTls("grpc.tls", options.grpc().tls());
    validator.require(
        !options.grpc().tls().mode().enabled() || !options.grpc().tls().certPath().isEmpty(),
        "grpc.tls.cert_path",
        "is required when grpc.tls.mode is not disable: the server needs a certificate");
  }

  /** Rules shared by every TLS section; {@code section} is its key path. */
  private void validateTls(String section, TlsOptions tls) {
    require(!tls.watch(), section + ".watch",
        "reloading certificates when the files change is not supported; restart to load new ones");
    if (tls.certPath().isEmpty() != tls.keyPath().isEmpty()) {
      boolean certSet = !tls.certPath().isEmpty();
      fail(section + (certSet ? ".cert_path" : ".key_path"), "is set but "
          + (certSet ? "key_path" : "cert_path") + " is not: a certificate needs its key");
    }
    require(!tls.mode().verifiesPeer() || !tls.caCertPath().isEmpty(), section + ".ca_cert_path",
        "is required when mode is " + tls.mode().configName() + ": it is what the peer is"
            + " verified against");
  }

  private void validateServer(MetasrvOptions options) {
    requireHostPort("bind_addr", options.bindAddr());
    if (!options.serverAddr().isEmpty()) {
      String host = requireHostPort("server_addr", options.serverAddr());
      if (host.equals("0.0.0.0") || host.equals("[::]")) {
        fail(
            "server_addr",
            "is advertised to other nodes, so it cannot be a wildcard address; set an address"
                + " they can reach, or leave it empty to detect one");
      }
    }
    requireHostPort("http.addr", options.http().addr());
    require(!options.nodeMaxIdleTime().isZero(), "node_max_idle_time", "must be longer than 0s");
  }

  private void validateStore(MetasrvOptions options) {
    BackendKind backend = options.backend();
    List<String> addrs = options.storeAddrs();
    require(options.maxTxnOps() >= 1, "max_txn_ops", "must be at least 1");
    require(
        SQL_IDENTIFIER.matcher(options.metaTableName()).matches(),
        "meta_table_name",
        "must be a plain SQL identifier (letters, digits and _, not starting with a digit, at"
            + " most 63 characters), as it is written into SQL statements");
    if (backend == BackendKind.MEMORY_STORE) {
      return;
    }
    require(
        !addrs.isEmpty(),
        "store_addrs",
        "must not be empty when backend is "
            + backend.configName()
            + " (set use_memory_store = true to run without a store)");
    require(
        addrs.stream().noneMatch(String::isBlank), "store_addrs", "must not contain blank entries");
    // PostgreSQL and MySQL connect with the first entry only; quietly ignoring the rest would
    // hide a connection string split at its commas by the environment list syntax.
    require(
        backend == BackendKind.ETCD_STORE || addrs.size() == 1,
        "store_addrs",
        backend.configName()
            + " takes exactly one connection string, got "
            + addrs.size()
            + " entries (the environment and flags split lists at commas)");
    try {
      if (backend == BackendKind.POSTGRES_STORE) {
        StoreAddresses.postgres(addrs.get(0));
      } else if (backend == BackendKind.MYSQL_STORE) {
        StoreAddresses.mysql(addrs.get(0));
      }
    } catch (IllegalArgumentException e) {
      fail("store_addrs", e.getMessage());
    }
  }

  private void validateProcedureAndDetector(MetasrvOptions options) {
    ProcedureOptions procedure = options.procedure();
    require(
        procedure.maxRunningProcedures() >= 1,
        "procedure.max_running_procedures",
        "must be at least 1");
    require(
        procedure.maxMetadataValueSize().bytes() >= 1,
        "procedure.max_metadata_value_size",
        "must be at least 1B (large values are split into pieces of this size)");
    FailureDetectorOptions detector = options.failureDetector();
    require(detector.threshold() > 0, "failure_detector.threshold", "must be greater than 0");
    requirePositive("failure_detector.min_std_deviation", detector.minStdDeviation());
    requirePositive("failure_detector.first_heartbeat_estimate", detector.firstHeartbeatEstimate());
  }

  private void validateWal(WalOptions wal, boolean regionFailover) {
    if (wal.provider() != WalOptions.Provider.KAFKA) {
      require(
          !regionFailover,
          "enable_region_failover",
          "region failover needs a remote WAL: set wal.provider = \"kafka\"");
      return;
    }
    require(
        !wal.brokerEndpoints().isEmpty(),
        "wal.broker_endpoints",
        "must list at least one broker when wal.provider is kafka");
    for (String endpoint : wal.brokerEndpoints()) {
      requireHostPort("wal.broker_endpoints", endpoint);
    }
    require(wal.numTopics() >= 1, "wal.num_topics", "must be at least 1");
    require(wal.numPartitions() >= 1, "wal.num_partitions", "must be at least 1");
    require(
        wal.replicationFactor() >= 1 && wal.replicationFactor() <= Short.MAX_VALUE,
        "wal.replication_factor",
        "must be between 1 and " + Short.MAX_VALUE);
    require(wal.backoffBase() >= 1, "wal.backoff_base", "must be at least 1");
    requirePositive("wal.backoff_init", wal.backoffInit());
    require(wal.backoffMax().compareTo(wal.backoffInit()) >= 0, "wal.backoff_max",
        "must not be shorter than wal.backoff_init");
    requirePositive("wal.create_topic_timeout", wal.createTopicTimeout());
    require(wal.createTopicTimeout().toMillis() <= Integer.MAX_VALUE,
        "wal.create_topic_timeout",
        "must be at most " + Integer.MAX_VALUE + "ms: Kafka takes it as a 32-bit number of ms");
    wal.tls().ifPresent(tls -> {
      if (tls.clientCertPath().isPresent() != tls.clientKeyPath().isPresent()) {
        boolean certSet = tls.clientCertPath().isPresent();
        fail("wal.tls." + (certSet ? "client_cert_path" : "client_key_path"), "is set but "
            + (certSet ? "client_key_path" : "client_cert_path")
            + " is not: a client certificate needs its key");
      }
    });
    require(
        KAFKA_TOPIC_PREFIX.matcher(wal.topicNamePrefix()).matches(),
        "wal.topic_name_prefix",
        "must be 1 to 240 of the characters Kafka allows in topic names: letters, digits, '.',"
            + " '_' and '-'");
  }

  private void validateExportMetrics(ExportMetricsOptions export) {
    if (!export.enable()) {
      return;
    }
    require(
        export.writeInterval().compareTo(Duration.ofSeconds(1)) >= 0,
        "export_metrics.write_interval",
        "must be at least 1s");
    require(
        export.selfImport().isPresent() != export.remoteWrite().isPresent(),
        "export_metrics",
        "set exactly one of [export_metrics.self_import] and [export_metrics.remote_write]");
    export
        .selfImport()
        .ifPresent(
            selfImport ->
                require(
                    !selfImport.db().isEmpty(),
                    "export_metrics.self_import.db",
                    "must not be empty"));
    export.remoteWrite().ifPresent(this::validateRemoteWrite);
  }

  private void validateRemoteWrite(ExportMetricsOptions.RemoteWrite remoteWrite) {
    String urlKey = "export_metrics.remote_write.url";
    try {
      URI url = new URI(remoteWrite.url());
      require(
          ("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
              && url.getHost() != null,
          urlKey,
          "must be an http:// or https:// URL, got \"" + remoteWrite.url() + "\"");
    } catch (URISyntaxException e) {
      fail(urlKey, "is not a valid URL: " + e.getMessage());
    }
    for (String header : remoteWrite.headers().keySet()) {
      require(
          HEADER_NAME.matcher(header).matches(),
          "export_metrics.remote_write.headers." + header,
          "is not a valid HTTP header name");
    }
  }

  /**
   * The Lease timings must nest as client-go's do: a leader gives up (renew deadline) before
   * followers may take over (lease duration), and tries to renew more than once before giving
   * up (retry period).
   */
  private void validateElection(ElectionOptions election) {
    require(
        LEASE_NAME.matcher(election.leaseName()).matches(),
        "election.lease_name",
        "must be a Kubernetes object name (lowercase letters, digits, '-' and '.', starting and"
            + " ending with a letter or digit) of at most 63 characters, got \""
            + election.leaseName()
            + "\"");
    election
        .namespace()
        .ifPresent(
            namespace ->
                require(
                    NAMESPACE.matcher(namespace).matches(),
                    "election.namespace",
                    "must be a Kubernetes namespace name (at most 63 lowercase letters, digits"
                        + " and '-'), got \""
                        + namespace
                        + "\""));
    Duration lease = election.leaseDuration();
    require(
        lease.compareTo(Duration.ofSeconds(1)) >= 0 && lease.toMillis() % 1000 == 0,
        "election.lease_duration",
        "must be whole seconds, at least 1s (the Lease stores it in seconds), got "
            + HumanDuration.format(lease));
    requirePositive("election.renew_deadline", election.renewDeadline());
    require(
        election.renewDeadline().compareTo(lease) < 0,
        "election.renew_deadline",
        "must be shorter than election.lease_duration, or a leader that cannot renew would"
            + " still lead when followers take over");
    requirePositive("election.retry_period", election.retryPeriod());
    require(
        election.retryPeriod().compareTo(election.renewDeadline()) < 0,
        "election.retry_period",
        "must be shorter than election.renew_deadline, or a leader steps down after a single"
            + " failed renewal");
  }

  /** Checks {@code host:port} (IPv6 hosts in brackets) and returns the host. */
  private String requireHostPort(String key, String address) {
    String expected = "expected host:port with a port from 1 to 65535, got \"" + address + "\"";
    int colon = address.lastIndexOf(':');
    String host = colon < 0 ? "" : address.substring(0, colon);
    String port = address.substring(colon + 1);
    boolean hostOk =
        !host.isEmpty()
            && (host.startsWith("[")
                ? host.endsWith("]") && host.length() > 2
                : host.indexOf(':') < 0 && host.chars().noneMatch(Character::isWhitespace));
    require(hostOk && port.matches("[0-9]{1,5}"), key, expected);
    int number = Integer.parseInt(port);
    require(number >= 1 && number <= 65535, key, expected);
    return host;
  }

  private void requirePositive(String key, Duration duration) {
    require(!duration.isZero(), key, "must be longer than 0s");
  }

  private void require(boolean condition, String key, String reason) {
    if (!condition) {
      fail(key, reason);
    }
  }

  private void fail(String key, String reason) {
    throw new ConfigException(key, reason, sourceOf.apply(key));
  }
}
