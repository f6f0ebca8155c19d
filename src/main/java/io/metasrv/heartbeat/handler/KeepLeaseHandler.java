package io.metasrv.heartbeat.handler;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.LeaseValue;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews a datanode's or flownode's lease ({@code __meta_datanode_lease-0-{id}}, {@code
 * __meta_flownode_lease-0-{id}}) on every request that names its peer, mailbox replies
 * included: a node is alive for 10 s after its last heartbeat. Runs before the leader check,
 * as in GreptimeDB; a follower's writes go to its own view, which nobody reads.
 */
final class KeepLeaseHandler implements HeartbeatHandler {
  private static final Logger log = LoggerFactory.getLogger(KeepLeaseHandler.class);

  private final Role role;
  private final ClusterView view;

  KeepLeaseHandler(Role role, ClusterView view) {
    this.role = role;
    this.view = view;
  }

  @Override
  public String name() {
    return role == Role.DATANODE ? "DatanodeKeepLeaseHandler" : "FlownodeKeepLeaseHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == this.role;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (context.isHandshake()) {
      return Flow.CONTINUE;
    }
    long id = context.request().getPeer().getId();
    byte[] key = role == Role.DATANODE ? ClusterKeys.datanodeLease(id)
        : ClusterKeys.flownodeLease(id);
    LeaseValue lease = new LeaseValue(context.receivedAtMillis(),
        context.request().getPeer().getAddr());
    try {
      view.kv().put(key, lease.encode());
    } catch (RuntimeException e) {
      log.warn("cannot renew the lease of {} {}: {}", role, Long.toUnsignedString(id),
          e.toString());
    }
    return Flow.CONTINUE;
  }
}
