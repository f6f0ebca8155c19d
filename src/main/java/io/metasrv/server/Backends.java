package io.metasrv.server;

import io.metasrv.config.BackendAuthOptions;
import io.metasrv.config.ElectionKind;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.config.TlsOptions;
import io.metasrv.election.Election;
import io.metasrv.election.StandaloneElection;
import io.metasrv.election.etcd.EtcdElection;
import io.metasrv.election.mysql.MysqlElectionSql;
import io.metasrv.election.postgres.PostgresElectionSql;
import io.metasrv.election.rds.ElectionSql;
import io.metasrv.election.rds.RdsElection;
import io.metasrv.election.rds.RdsElectionConfig;
import io.metasrv.election.etcd.EtcdElectionConfig;
import io.metasrv.election.kubernetes.KubernetesLeaseElection;
import io.metasrv.fence.LeaderEpoch;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.kv.rds.MysqlKv;
import io.metasrv.kv.rds.PostgresKv;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.metasrv.kv.rds.StoreAddresses;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The store and the election the options name. The store sits under {@code store_key_prefix}
 * and is metered. The election runs on the same backend (the memory store has none: a single
 * node leads alone; PostgreSQL and MySQL elect through a session lock and the meta table), unless {@code [election] kind = "kubernetes-lease"} elects through a
 * Kubernetes Lease instead, whatever the store.
 *
 * @param kv the store
 * @param election the leader election
 */
record Backends(KvBackend kv, Election election) {

  static Backends open(MetasrvOptions options, MeterRegistry registry) {
    KvLimits limits = new KvLimits(options.maxTxnOps(),
        options.procedure().maxMetadataValueSize().bytes());
    byte[] prefix = Bytes.utf8(options.storeKeyPrefix());
    // The Lease election reads the store's epoch once it campaigns, after the store is open.
    AtomicReference<KvBackend> store = new AtomicReference<>();
    Optional<Election> leaseElection = kubernetesLeaseElection(options, registry,
        () -> new LeaderEpoch(store.get()).current());
    try {
      Backends backends = openStore(options, registry, limits, prefix, leaseElection);
      store.set(backends.kv());
      return backends;
    } catch (RuntimeException e) {
      leaseElection.ifPresent(Election::close);
      throw e;
    }
  }

  private static Backends openStore(MetasrvOptions options, MeterRegistry registry,
      KvLimits limits, byte[] prefix, Optional<Election> leaseElection) {
    return switch (options.backend()) {
      case MEMORY_STORE -> new Backends(metered(new MemoryKv(limits), prefix, registry),
          leaseElection.orElseGet(StandaloneElection::new));
      case ETCD_STORE -> {
        EtcdKv etcd = EtcdKv.connect(etcdConfig(options), limits);
        yield new Backends(metered(etcd, prefix, registry),
            leaseElection.orElseGet(() -> new EtcdElection(etcd.client(),
                options.storeKeyPrefix(), EtcdElectionConfig.defaults(), System::nanoTime,
                registry)));
      }
      case POSTGRES_STORE -> {
        RdsKvConfig config = rdsConfig(options, StoreAddresses::postgres);
        KvBackend postgres = openSqlStore(() -> PostgresKv.connect(config, limits));
        yield new Backends(metered(postgres, prefix, registry),
            leaseElection.orElseGet(() -> sqlElection(options, config,
                new PostgresElectionSql(options.metaTableName(), options.metaElectionLockId()),
                registry)));
      }
      case MYSQL_STORE -> {
        RdsKvConfig config = rdsConfig(options, StoreAddresses::mysql);
        KvBackend mysql = openSqlStore(() -> MysqlKv.connect(config, limits));
        yield new Backends(metered(mysql, prefix, registry),
            leaseElection.orElseGet(() -> sqlElection(options, config,
                new MysqlElectionSql(options.metaTableName(), options.metaElectionLockId()),
                registry)));
      }
    };
  }

  // ---- PostgreSQL and MySQL ----

  private static KvBackend openSqlStore(Supplier<KvBackend> connect) {
    try {
      return connect.get();
    } catch (KvException e) {
      throw new MetasrvServer.StartupException(e.getMessage(), e);
    }
  }

  private static Election sqlElection(MetasrvOptions options, RdsKvConfig config,
      ElectionSql sql, MeterRegistry registry) {
    return new RdsElection(config.endpoint(), sql, options.storeKeyPrefix(),
        RdsElectionConfig.defaults(), System::nanoTime, registry);
  }

  /**
   * {@code store_addrs} (one connection string, as validated), with {@code [backend_auth]}'s
   * credentials and {@code [backend_tls]}'s settings where the address does not say.
   */
  private static RdsKvConfig rdsConfig(MetasrvOptions options,
      Function<String, RdsEndpoint> parse) {
    RdsEndpoint endpoint;
    try {
      endpoint = parse.apply(options.storeAddrs().get(0));
    } catch (IllegalArgumentException e) {
      throw new MetasrvServer.StartupException("store_addrs: " + e.getMessage(), e);
    }
    BackendAuthOptions auth = options.backendAuth();
    String password = auth.password().or(() -> auth.passwordFile().map(Backends::readPassword))
        .orElse(null);
    endpoint = endpoint.withCredentials(auth.username().orElse(null), password)
        .withDefaultProperties(tlsProperties(endpoint.flavor(), options.backendTls()));
    return RdsKvConfig.of(endpoint, options.metaTableName());
  }

  /** The file's content without the line break that editors and {@code echo} leave at its end. */
  private static String readPassword(String file) {
    try {
      return Files.readString(Path.of(file)).replaceFirst("\\r?\\n$", "");
    } catch (IOException e) {
      throw new MetasrvServer.StartupException("cannot read backend_auth.password_file " + file
          + ": " + e, e);
    }
  }

  /** {@code [backend_tls]} as the JDBC driver's properties. */
  private static Map<String, String> tlsProperties(RdsEndpoint.Flavor flavor, TlsOptions tls) {
    Map<String, String> properties = new LinkedHashMap<>();
    String mode = tls.mode().configName().replace('_', '-');
    if (flavor == RdsEndpoint.Flavor.POSTGRES) {
      properties.put("sslmode", mode);
      putIfSet(properties, "sslrootcert", tls.caCertPath());
      putIfSet(properties, "sslcert", tls.certPath());
      putIfSet(properties, "sslkey", tls.keyPath());
      return properties;
    }
    if (!tls.certPath().isEmpty()) {
      throw new MetasrvServer.StartupException("backend_tls.cert_path: client certificates are"
          + " not supported for mysql_store (MariaDB Connector/J takes them only from a key"
          + " store); leave cert_path and key_path empty", null);
    }
    properties.put("sslMode", switch (tls.mode()) {
      case DISABLE -> "disable";
      case PREFER, REQUIRE -> "trust";
      case VERIFY_CA -> "verify-ca";
      case VERIFY_FULL -> "verify-full";
    });
    putIfSet(properties, "serverSslCert", tls.caCertPath());
    return properties;
  }

  private static void putIfSet(Map<String, String> properties, String key, String path) {
    if (!path.isEmpty()) {
      properties.put(key, path);
    }
  }

  // ---- [election]: the Kubernetes Lease election replaces the store's own ----

  private static Optional<Election> kubernetesLeaseElection(MetasrvOptions options,
      MeterRegistry registry, KubernetesLeaseElection.StoredEpoch storedEpoch) {
    if (options.election().kind() != ElectionKind.KUBERNETES_LEASE) {
      return Optional.empty();
    }
    try {
      return Optional.of(KubernetesLeaseElection.connect(options.election(), System.getenv(),
          storedEpoch, registry));
    } catch (IllegalArgumentException e) {
      throw new MetasrvServer.StartupException(
          "cannot set up the Kubernetes Lease election: " + e.getMessage(), e);
    }
  }

  private static KvBackend metered(KvBackend backend, byte[] prefix, MeterRegistry registry) {
    return new MeteredKv(ChrootKv.wrap(prefix, backend), registry);
  }

  /** {@code store_addrs} and {@code [backend_tls]} as the etcd client takes them. */
  private static EtcdKvConfig etcdConfig(MetasrvOptions options) {
    EtcdKvConfig config = EtcdKvConfig.of(options.storeAddrs());
    TlsOptions tls = options.backendTls();
    if (!tls.mode().enabled()) {
      return config;
    }
    return config.withTls(new EtcdKvConfig.Tls(pathOrNull(tls.caCertPath()),
        pathOrNull(tls.certPath()), pathOrNull(tls.keyPath())));
  }

  private static Path pathOrNull(String path) {
    return path.isEmpty() ? null : Path.of(path);
  }
}
