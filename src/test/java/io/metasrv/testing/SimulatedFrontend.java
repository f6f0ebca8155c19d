package io.metasrv.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.NodeInfo;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.Role;
import java.time.Duration;
import java.util.Optional;

/**
 * A GreptimeDB frontend as the metasrv sees it (GreptimeDB d701c18150, {@code
 * src/frontend/src/heartbeat.rs}): member id 0, peer id 0 with its address, node info, a
 * heartbeat every 18 s; it records cache invalidations ({@link #cacheInvalidations()}) and
 * replies to nothing.
 */
public final class SimulatedFrontend extends SimulatedNode {
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(18);

  private final String addr;
  private final long startTimeMs = System.currentTimeMillis();

  SimulatedFrontend(SimulatedNodes env, String addr) {
    super(env, Role.FRONTEND, 0, DEFAULT_HEARTBEAT_INTERVAL);
    this.addr = addr;
  }

  public SimulatedFrontend withHeartbeatInterval(Duration interval) {
    setHeartbeatInterval(interval);
    return this;
  }

  public SimulatedFrontend withReconnectDelay(Duration delay) {
    setReconnectDelay(delay);
    return this;
  }

  public SimulatedFrontend withManualHeartbeats() {
    setAutomaticHeartbeats(false);
    return this;
  }

  public String addr() {
    return addr;
  }

  @Override
  HeartbeatRequest.Builder identity() {
    return HeartbeatRequest.newBuilder()
        .setPeer(Peer.newBuilder().setId(0).setAddr(addr))
        .setInfo(NodeInfo.newBuilder()
            .setVersion(SimulatedDatanode.VERSION)
            .setGitCommit(SimulatedDatanode.GIT_COMMIT)
            .setStartTimeMs(startTimeMs)
            .setCpus(Runtime.getRuntime().availableProcessors()));
  }

  @Override
  HeartbeatRequest periodicRequest() {
    return identity().setHeader(header()).build();
  }

  @Override
  void onAnswer(HeartbeatResponse response) {}

  @Override
  Optional<String> onInstruction(JsonNode instruction) {
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "frontend@" + addr;
  }
}
