package io.metasrv.heartbeat;

import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The heartbeat handlers in order (GreptimeDB's {@code HeartbeatHandlerGroup}): each request
 * passes through every handler that accepts its node's role until one says {@link
 * HeartbeatHandler.Flow#DONE}; the context then holds the response. Each handler is timed in
 * {@code metasrv.heartbeat.handler} by name.
 *
 * <p>Thread-safe as its handlers are: requests of different streams run concurrently.
 */
public final class HeartbeatHandlerChain {
  private final List<Step> steps;

  public HeartbeatHandlerChain(List<HeartbeatHandler> handlers, MeterRegistry registry) {
    this.steps = handlers.stream().map(handler -> new Step(handler, Timer
            .builder("metasrv.heartbeat.handler")
            .description("Time spent in each heartbeat handler")
            .tag("handler", handler.name())
            .register(registry)))
        .toList();
  }

  /** The handlers' names, in order. */
  public List<String> names() {
    return steps.stream().map(step -> step.handler.name()).toList();
  }

  /**
   * Runs the request through the chain.
   *
   * @throws HeartbeatHandlerException naming the handler that failed
   */
  public HeartbeatResponse handle(HeartbeatContext context) {
    Role role = context.role();
    for (Step step : steps) {
      if (!step.handler.accepts(role)) {
        continue;
      }
      long start = System.nanoTime();
      HeartbeatHandler.Flow flow;
      try {
        flow = step.handler.handle(context);
      } catch (HeartbeatHandlerException e) {
        throw e;
      } catch (Exception e) {
        throw new HeartbeatHandlerException(step.handler.name(), e);
      } finally {
        step.timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
      if (flow == HeartbeatHandler.Flow.DONE) {
        break;
      }
    }
    return context.response();
  }

  private record Step(HeartbeatHandler handler, Timer timer) {}
}
