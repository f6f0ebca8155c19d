package io.metasrv.grpc;

import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;

/** The gRPC services over the memory store, which both nodes share. */
class MetaServicesOnMemoryTest extends MetaServicesContractTest {
  private final MemoryKv shared = new MemoryKv(KvLimits.DEFAULT);

  @Override
  protected KvBackend openStore() {
    return shared;
  }
}
