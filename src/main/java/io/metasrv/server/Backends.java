package io.metasrv.server;

import io.metasrv.config.ElectionKind;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.config.TlsOptions;
import io.metasrv.election.Election;
import io.metasrv.election.StandaloneElection;
import io.metasrv.election.etcd.EtcdElection;
import io.metasrv.election.etcd.EtcdElectionConfig;
import io.metasrv.election.kubernetes.KubernetesLeaseElection;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The store and the election the options name. The store sits under {@code store_key_prefix}
 * and is metered. The election runs on the same backend (the memory store has none: a single
 * node leads alone), unless {@code [election] kind = "kubernetes-lease"} elects through a
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
    Optional<Election> leaseElection = kubernetesLeaseElection(options, registry);
    try {
      return openStore(options, registry, limits, prefix, leaseElection);
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
      case POSTGRES_STORE, MYSQL_STORE -> throw new MetasrvServer.StartupException(
          "backend = \"" + options.backend().configName() + "\" is not available in this build;"
              + " use etcd_store or memory_store", null);
    };
  }

  // ---- [election]: the Kubernetes Lease election replaces the store's own ----

  private static Optional<Election> kubernetesLeaseElection(MetasrvOptions options,
      MeterRegistry registry) {
    if (options.election().kind() != ElectionKind.KUBERNETES_LEASE) {
      return Optional.empty();
    }
    try {
      return Optional.of(KubernetesLeaseElection.connect(options.election(), System.getenv(),
          registry));
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
