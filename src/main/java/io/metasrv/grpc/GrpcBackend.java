package io.metasrv.grpc;

import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.ddl.DdlManager;
import io.metasrv.heartbeat.HeartbeatPipeline;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.RangeRequest;
import io.metasrv.procedure.ProcedureManager;
import io.metasrv.procedure.migration.RegionMigrationManager;
import java.util.List;
import java.util.Optional;

/** What the gRPC services ask of the server node. */
public interface GrpcBackend {

  /** This node, as it advertises itself; its {@code addr} is the leader value when it leads. */
  MetasrvNodeInfo nodeInfo();

  /** Whether this node leads and serves leader-only requests now. */
  boolean isLeader();

  /**
   * Whether this node serves at all now: started and not stopping, as leader or follower, and
   * its store answers.
   */
  boolean isServing();

  /**
   * Registers {@code listener} to be called, on any thread, after this node becomes leader,
   * steps down, starts or stops serving. Changes this node only finds out by looking (the store
   * no longer answering) are not announced: read {@link #isServing} again from time to time.
   */
  void onServingChange(Runnable listener);

  /** The leader's {@code server_addr}, when one is known. */
  Optional<String> leaderAddr();

  /**
   * The live metasrv nodes, this one and the leader included.
   *
   * @throws io.metasrv.election.ElectionException when the election backend cannot be read
   */
  List<MetasrvNodeInfo> candidates();

  /** The metadata store, served by every node. */
  KvBackend store();

  /**
   * Whether a client may write {@code keys} through this node now. A follower refuses keys that
   * the leader caches (table routes, names, node addresses): a write that bypassed the leader
   * would leave its cache, and so the region leases it grants, stale.
   */
  boolean mayWrite(RangeRequest keys);

  /**
   * The leader's in-memory view of the cluster (node leases, stats, node info), which the
   * Cluster service reads. It lives only while this node leads and starts empty on every
   * election.
   */
  KvBackend inMemoryView();

  /** Where the Heartbeat service hands the nodes' streams. */
  HeartbeatPipeline heartbeats();

  /** The procedures this node runs while it leads. */
  ProcedureManager procedures();

  /** Region migrations, checked and started on the leader. */
  RegionMigrationManager migrations();

  /** DDL tasks; empty when this node was started without a way to reach datanodes. */
  Optional<DdlManager> ddl();
}
