package io.metasrv.metadata.sequence;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.ChrootKv;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The sequence contract on a real etcd; each store is a fresh key prefix of the per-JVM etcd,
 * so the leader epoch of the handover test is the test's own too.
 */
class SequenceOnEtcdTest extends SequenceContractTest {
  private static EtcdProcess etcd;

  private final List<KvBackend> opened = new ArrayList<>();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.shared();
  }

  @AfterEach
  void closeStores() {
    opened.forEach(KvBackend::close);
  }

  @Override
  protected KvBackend newStore() {
    EtcdKv kv = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint()), KvLimits.DEFAULT);
    opened.add(kv);
    return ChrootKv.wrap(Bytes.utf8("sequence-test-" + UUID.randomUUID() + "/"), kv);
  }

  @Override
  protected int idsPerAllocator() {
    return 200;
  }
}
