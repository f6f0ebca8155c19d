package io.metasrv.server;

import io.metasrv.config.MetasrvOptions;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.micrometer.core.instrument.MeterRegistry;

/** Opens the store the options name, under {@code store_key_prefix}, with metrics. */
final class KvBackends {
  private KvBackends() {}

  static KvBackend open(MetasrvOptions options, MeterRegistry registry) {
    KvLimits limits = new KvLimits(options.maxTxnOps(),
        options.procedure().maxMetadataValueSize().bytes());
    KvBackend backend = switch (options.backend()) {
      case MEMORY_STORE -> new MemoryKv(limits);
      case ETCD_STORE -> EtcdKv.connect(EtcdKvConfig.of(options.storeAddrs()), limits);
      case POSTGRES_STORE, MYSQL_STORE -> throw new MetasrvServer.StartupException(
          "backend = \"" + options.backend().configName() + "\" is not available in this build;"
              + " use etcd_store or memory_store", null);
    };
    return new MeteredKv(ChrootKv.wrap(Bytes.utf8(options.storeKeyPrefix()), backend), registry);
  }
}
