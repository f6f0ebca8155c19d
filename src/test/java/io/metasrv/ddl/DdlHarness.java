package io.metasrv.ddl;

import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.config.ProcedureOptions;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.sequence.Sequence;
import io.metasrv.procedure.ProcedureManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinPool;

/**
 * One leader's DDL over a store: a procedure manager that does not wait between retries, a
 * recording region server, datanodes 1..n as region leaders in turn, recorded invalidations, the
 * failure detectors.
 */
final class DdlHarness implements AutoCloseable {
  final KvBackend kv;
  final RecordingRegionServer regions;
  final MemoryRegionKeeper keeper = new MemoryRegionKeeper();
  /** Which region replicas the failure detectors watch (their clock never moves). */
  final RegionFailureDetectors detectors =
      new RegionFailureDetectors(FailureDetectorOptions.defaults(), () -> 1_000);
  final List<List<CacheIdent>> invalidations = new CopyOnWriteArrayList<>();
  final List<Duration> retryDelays = new CopyOnWriteArrayList<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ProcedureManager procedures;
  final DdlManager ddl;
  final DdlContext context;

  DdlHarness(KvBackend kv, RecordingRegionServer regions, int datanodes) {
    this.kv = kv;
    this.regions = regions;
    GroupCommit writes = new GroupCommit(kv);
    this.procedures = ProcedureManager.builder(kv, ProcedureOptions.defaults())
        .groupCommit(writes).sleeper((delay, wakeUp) -> retryDelays.add(delay)).build();
    Sequence tableIds = Sequence.tableIds(kv);
    List<Peer> peers = new ArrayList<>();
    for (long id = 1; id <= datanodes; id++) {
      peers.add(new Peer(id, "10.0.0." + (4 + id) + ":3001"));
    }
    this.context = new DdlContext(writes, tableIds::next, count -> peers, keeper, regions,
        WalOptionsAllocator.raftEngine(), invalidations::add, detectors,
        ForkJoinPool.commonPool());
    this.ddl = new DdlManager(procedures, context, registry);
    procedures.start();
  }

  /** Every key and value in the store but the procedures' and the sequences', as text. */
  Map<String, String> metadata() {
    Map<String, String> values = new LinkedHashMap<>();
    for (KeyValue entry : kv.range(RangeRequest.all()).kvs()) {
      String key = Bytes.utf8(entry.key());
      if (!key.startsWith("/__procedure__/") && !key.startsWith("__meta_seq")
          && !key.startsWith("__leader_epoch")) {
        values.put(key, Bytes.utf8(entry.value()));
      }
    }
    return values;
  }

  @Override
  public void close() {
    procedures.close();
  }
}
