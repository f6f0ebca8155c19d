package io.metasrv.heartbeat.handler;

import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;

/** Every answer carries protocol version 1. */
final class ResponseHeaderHandler implements HeartbeatHandler {
  @Override
  public String name() {
    return "ResponseHeaderHandler";
  }

  @Override
  public boolean accepts(Role role) {
    return true;
  }

  @Override
  public Flow handle(HeartbeatContext context) {
    context.setHeader(ResponseHeaders.ok());
    return Flow.CONTINUE;
  }
}
