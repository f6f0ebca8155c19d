package io.metasrv.heartbeat;

import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Role;
import java.util.function.LongSupplier;

/**
 * What the Heartbeat service hands each node's stream to: the stream registers as the node's
 * {@link Pusher} when its first request arrives, each request runs through the {@link
 * HeartbeatHandlerChain}, and the stream deregisters when it ends.
 */
public final class HeartbeatPipeline {
  private final HeartbeatHandlerChain chain;
  private final Pushers pushers;
  private final LongSupplier wallClockMillis;

  /** @param wallClockMillis the leader's clock, which stamps every request on arrival */
  public HeartbeatPipeline(HeartbeatHandlerChain chain, Pushers pushers,
      LongSupplier wallClockMillis) {
    this.chain = chain;
    this.pushers = pushers;
    this.wallClockMillis = wallClockMillis;
  }

  /** A stream's first request came from {@code role} {@code memberId}: it is that node's now. */
  public PusherKey open(Role role, long memberId, Pusher pusher) {
    PusherKey key = pushers.keyFor(role, memberId);
    pushers.register(key, pusher);
    return key;
  }

  /**
   * Answers one request of the stream {@code key}.
   *
   * @throws HeartbeatHandlerException when a handler failed: the stream must end with an error
   */
  public HeartbeatResponse handle(PusherKey key, HeartbeatRequest request) {
    return chain.handle(new HeartbeatContext(request, key, wallClockMillis.getAsLong()));
  }

  /** The stream ended. */
  public void close(PusherKey key, Pusher pusher) {
    pushers.deregister(key, pusher);
  }
}
