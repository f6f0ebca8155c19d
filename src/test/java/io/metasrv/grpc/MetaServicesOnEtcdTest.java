package io.metasrv.grpc;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MeteredKv;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import java.util.UUID;

/**
 * The gRPC services over real etcd: each node has its own client, both under one key prefix
 * that no other test uses, metered as the server meters its store.
 */
class MetaServicesOnEtcdTest extends MetaServicesContractTest {
  private final String prefix = "grpc-test-" + UUID.randomUUID() + "/";

  @Override
  protected KvBackend openStore() {
    EtcdKv etcd = EtcdKv.connect(EtcdKvConfig.of(EtcdProcess.shared().endpoint()),
        KvLimits.DEFAULT);
    return new MeteredKv(ChrootKv.wrap(Bytes.utf8(prefix), etcd), registry);
  }
}
