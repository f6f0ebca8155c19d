package io.metasrv.heartbeat;

import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What the Heartbeat service hands each node's stream to: the stream registers as the node's
 * {@link Pusher} when its first request arrives, each request runs through the {@link
 * HeartbeatHandlerChain}, and the stream deregisters when it ends. Counts requests per role
 * ({@code metasrv.heartbeat.requests}) and open streams per role ({@code
 * metasrv.heartbeat.connections}).
 */
public final class HeartbeatPipeline {
  private final HeartbeatHandlerChain chain;
  private final Pushers pushers;
  private final LongSupplier wallClockMillis;
  private final Map<Role, Counter> requests = new EnumMap<>(Role.class);

  /** @param wallClockMillis the leader's clock, which stamps every request on arrival */
  public HeartbeatPipeline(HeartbeatHandlerChain chain, Pushers pushers,
      LongSupplier wallClockMillis, MeterRegistry registry) {
    this.chain = chain;
    this.pushers = pushers;
    this.wallClockMillis = wallClockMillis;
    for (Role role : new Role[] {Role.DATANODE, Role.FRONTEND, Role.FLOWNODE}) {
      String tag = role.name().toLowerCase(Locale.ROOT);
      requests.put(role, Counter.builder("metasrv.heartbeat.requests")
          .description("Heartbeat requests by the sender's role").tag("role", tag)
          .register(registry));
      Gauge.builder("metasrv.heartbeat.connections", pushers, p -> p.count(role))
          .description("Open heartbeat streams by the node's role").tag("role", tag)
          .register(registry);
    }
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
  public HeartbeatResponse handle(PusherKey key, ParsedHeartbeat request) {
    requests.get(key.role()).increment();
    return chain.handle(new HeartbeatContext(request, key, wallClockMillis.getAsLong()));
  }

  /** The stream ended. */
  public void close(PusherKey key, Pusher pusher) {
    pushers.deregister(key, pusher);
  }
}
