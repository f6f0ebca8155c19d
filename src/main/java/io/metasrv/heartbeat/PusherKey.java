package io.metasrv.heartbeat;

import io.metasrv.protocol.Role;

/**
 * Which stream a mailbox message goes to: GreptimeDB's {@code PusherId}, written {@code
 * "{role}-{id}"} with the role's number. Datanodes and flownodes are keyed by their member id;
 * frontends, which all send member id 0, by a number given to each stream.
 */
public record PusherKey(Role role, long id) {

  public static PusherKey datanode(long id) {
    return new PusherKey(Role.DATANODE, id);
  }

  /** GreptimeDB's string key, which orders pushers by role, as its broadcasts range them. */
  public String stringKey() {
    return role.getNumber() + "-" + Long.toUnsignedString(id);
  }

  @Override
  public String toString() {
    return stringKey();
  }
}
