package io.metasrv.ddl;

import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.kv.GroupCommit;
import io.metasrv.kv.KvBackend;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * What DDL procedures work with, GreptimeDB's {@code DdlContext}.
 *
 * @param writes the group commit over the leader's fenced store ({@link #kv}), shared with the
 *     procedure manager's records: the metadata transactions of concurrent DDL and the records
 *     of concurrent procedures share store writes
 * @param tableIds the next id of sequence {@code table_id} ({@code __meta_seq-table_id})
 * @param peers the leaders of new regions
 * @param regionKeeper regions being created or dropped, kept out of lease decisions
 * @param regionServer the datanodes' {@code Region/Handle}
 * @param walOptions the WAL options of new regions
 * @param invalidation the {@code InvalidateCaches} broadcast
 * @param failureDetectors the leader's region failure detectors: a create registers its leader
 *     regions (a datanode that dies before it reports them is still noticed), a drop removes
 *     them (they will not heartbeat again), as GreptimeDB's {@code register_failure_detectors}
 *     and {@code deregister_failure_detectors}
 * @param sender where CREATE TABLE's Prepare has its region Creates sent and the table's metadata
 *     encoded while the runner stores its step: tasks that start calls and encode, never wait
 */
public record DdlContext(
    GroupCommit writes,
    LongSupplier tableIds,
    DatanodePeers peers,
    MemoryRegionKeeper regionKeeper,
    RegionServer regionServer,
    WalOptionsAllocator walOptions,
    CacheInvalidation invalidation,
    RegionFailureDetectors failureDetectors,
    Executor sender) {

  /** The leader's fenced store; its {@code max_txn_ops} bounds every transaction. */
  public KvBackend kv() {
    return writes.kv();
  }
}
