package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.kv.KvBackend;
import io.metasrv.metadata.NodeAddressKey;
import io.metasrv.metadata.NodeAddressValue;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.Role;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites a flownode's durable address ({@code __node_address/2/{id}}) the first time it is
 * seen and whenever its {@code node_epoch} grows (it restarted, perhaps elsewhere).
 */
final class RemapFlowPeerHandler implements HeartbeatHandler {
  private static final Logger log = LoggerFactory.getLogger(RemapFlowPeerHandler.class);

  private final KvBackend leaderKv;
  private final Map<Long, Long> epochs = new ConcurrentHashMap<>();

  RemapFlowPeerHandler(KvBackend leaderKv) {
    this.leaderKv = leaderKv;
  }

  @Override
  public String name() {
    return "RemapFlowPeerHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return role == Role.FLOWNODE;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    if (context.isHandshake()) {
      return Flow.CONTINUE;
    }
    long id = context.request().getPeer().getId();
    long epoch = context.request().getNodeEpoch();
    Long before = epochs.get(id);
    if (before != null && epoch <= before) {
      return Flow.CONTINUE;
    }
    try {
      leaderKv.put(NodeAddressKey.flownode(id).toBytes(),
          new NodeAddressValue(Peer.fromProto(context.request().getPeer())).encode());
      epochs.put(id, epoch);
    } catch (RuntimeException e) {
      log.warn("cannot record the address of flownode {}: {}", Long.toUnsignedString(id),
          e.toString());
    }
    return Flow.CONTINUE;
  }
}
