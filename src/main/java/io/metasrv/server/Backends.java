package io.metasrv.server;

import io.metasrv.config.MetasrvOptions;
import io.metasrv.election.Election;
import io.metasrv.election.StandaloneElection;
import io.metasrv.election.etcd.EtcdElection;
import io.metasrv.election.etcd.EtcdElectionConfig;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The store and the election the options name. The store sits under {@code store_key_prefix}
 * and is metered; the election runs on the same backend (the memory store has none: a single
 * node leads alone).
 *
 * @param kv the store
 * @param election the leader election
 */
record Backends(KvBackend kv, Election election) {

  static Backends open(MetasrvOptions options, MeterRegistry registry) {
    KvLimits limits = new KvLimits(options.maxTxnOps(),
        options.procedure().maxMetadataValueSize().bytes());
    byte[] prefix = Bytes.utf8(options.storeKeyPrefix());
    return switch (options.backend()) {
      case MEMORY_STORE -> new Backends(metered(new MemoryKv(limits), prefix, registry),
          new StandaloneElection());
      case ETCD_STORE -> {
        EtcdKv etcd = EtcdKv.connect(EtcdKvConfig.of(options.storeAddrs()), limits);
        yield new Backends(metered(etcd, prefix, registry),
            new EtcdElection(etcd.client(), options.storeKeyPrefix(),
                EtcdElectionConfig.defaults(), System::nanoTime, registry));
      }
      case POSTGRES_STORE, MYSQL_STORE -> throw new MetasrvServer.StartupException(
          "backend = \"" + options.backend().configName() + "\" is not available in this build;"
              + " use etcd_store or memory_store", null);
    };
  }

  private static KvBackend metered(KvBackend backend, byte[] prefix, MeterRegistry registry) {
    return new MeteredKv(ChrootKv.wrap(prefix, backend), registry);
  }
}
