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
}
