package io.metasrv.heartbeat;

import io.metasrv.protocol.Role;

/**
 * One step of the leader's heartbeat handling, as GreptimeDB's {@code HeartbeatHandler}: it
 * reads the request and what earlier steps left in the {@link HeartbeatContext}, records what
 * it learned, and says whether the chain goes on.
 *
 * <p>A handler that throws ends the request: the stream gets an error status (and ends), as
 * GreptimeDB's metasrv answers a failing handler.
 */
public interface HeartbeatHandler {

  /** GreptimeDB's name for the handler, for metrics and logs. */
  String name();

  /** Whether requests of nodes of {@code role} pass through this handler. */
  boolean accepts(Role role);

  /** Handles one request; {@link Flow#DONE} ends the chain with the response built so far. */
  Flow handle(HeartbeatContext context) throws Exception;

  /** Whether the chain goes on after a handler. */
  enum Flow {
    CONTINUE,
    DONE
  }
}
