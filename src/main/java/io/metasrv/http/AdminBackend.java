package io.metasrv.http;

import java.util.Optional;

/** What the admin HTTP API asks of the server. */
public interface AdminBackend {

  NodeHealth health();

  /** The leader epoch this node holds, 0 when it does not lead. */
  long leaderEpoch();

  /** The leader's {@code server_addr}, when one is known. */
  Optional<String> leaderAddr();

  boolean maintenanceEnabled();

  /**
   * Turns maintenance on or off and returns the state now in force.
   *
   * @throws NotLeaderException on a node that does not lead: only the leader writes the flag
   */
  boolean setMaintenance(boolean enabled);

  /**
   * GreptimeDB's {@code /admin/node-lease} JSON: every datanode lease the leader holds.
   *
   * @throws NotLeaderException on a node that does not lead: only the leader has the view
   */
  String nodeLeasesJson();

  /**
   * GreptimeDB's {@code /admin/heartbeat} JSON: every datanode's stored stats, or only those of
   * {@code addr}.
   *
   * @throws NotLeaderException on a node that does not lead
   */
  String heartbeatsJson(Optional<String> addr);

  /**
   * The region replicas the failure detectors judged failed at the supervisor's last tick, as
   * {@code [{"datanode_id":N,"region_id":N,"table_id":N,"region_number":N,"phi":X,
   * "last_heartbeat_millis":N,"failed_since_millis":N}]}, with {@code "phi":null} when phi is
   * infinite.
   *
   * @throws NotLeaderException on a node that does not lead
   */
  String failedRegionsJson();

  /**
   * The next table id the table-id sequence would reserve ({@code __meta_seq-table_id}), read
   * without reserving anything.
   *
   * @throws NotLeaderException on a node that does not lead
   */
  long nextTableId();

  /**
   * Moves the table-id sequence forward so that the next table id is {@code nextId}.
   *
   * @throws io.metasrv.metadata.sequence.SequenceJumpRefusedException when that is not ahead of
   *     the current next id
   * @throws NotLeaderException on a node that does not lead
   */
  long setNextTableId(long nextId);

  /**
   * Hands out one table id, for tools that reserve ids themselves (and for testing the
   * sequence across leader changes). Ids only grow, also across leader changes.
   *
   * @throws NotLeaderException on a node that does not lead
   */
  long allocateTableId();

  /**
   * The procedures this leader runs or finished in the last 10 minutes, as {@code
   * [{"id","type_name","state","error","start_time_ms","end_time_ms","lock_keys":[...]}]}.
   *
   * @throws NotLeaderException on a node that does not lead
   */
  String proceduresJson();

  /**
   * Whether the procedure manager is paused (no new procedures, no automatic failover).
   *
   * @throws NotLeaderException on a node that does not lead
   */
  boolean procedureManagerPaused();

  /**
   * Pauses or resumes the procedure manager, on this leader and on the next (the state is
   * stored), and returns the state now in force.
   *
   * @throws NotLeaderException on a node that does not lead
   */
  boolean setProcedureManagerPaused(boolean paused);
}
