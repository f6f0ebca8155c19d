package io.metasrv.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The operator's probes and metrics over HTTP.
 *
 * <ul>
 *   <li>{@code /healthz}: 200 while the process serves HTTP; liveness has nothing more to say, as
 *       informers reconnect by themselves and a lost Lease ends the process anyway.
 *   <li>{@code /readyz}: 200 once the operator started and, when it leads, every informer is
 *       watching; a standby replica is ready too ("standby"), or a rolling update of two replicas
 *       would never finish.
 *   <li>{@code /metrics}: Prometheus text.
 * </ul>
 */
public final class OperatorHealthServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private OperatorHealthServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static OperatorHealthServer start(
      InetSocketAddress address,
      Operator operator,
      OperatorLeadership leadership,
      PrometheusMeterRegistry registry)
      throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    server.createContext("/healthz", exchange -> send(exchange, 200, "ok\n"));
    server.createContext("/readyz", exchange -> readiness(exchange, operator, leadership));
    server.createContext(
        "/metrics",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          send(exchange, 200, registry.scrape());
        });
    ExecutorService executor =
        Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "operator-health-http"));
    server.setExecutor(executor);
    server.start();
    return new OperatorHealthServer(server, executor);
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private static void readiness(
      HttpExchange exchange, Operator operator, OperatorLeadership leadership) throws IOException {
    RuntimeInfo runtime = operator.getRuntimeInfo();
    if (!runtime.isStarted()) {
      send(exchange, 503, "starting\n");
    } else if (!leadership.leading()) {
      send(exchange, 200, "standby\n");
    } else if (!runtime.allEventSourcesAreHealthy()) {
      send(exchange, 503, "informers not watching: " + runtime.unhealthyEventSources().keySet() + "\n");
    } else {
      send(exchange, 200, "ok\n");
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
  }
}
