package io.metasrv.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.metasrv.kv.KvException;
import io.metasrv.metadata.sequence.SequenceJumpRefusedException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP server (JDK {@link HttpServer}).
 *
 * <p>Routes: {@code GET /health} ({@code {"status":"leader","epoch":N}}, {@code
 * {"status":"follower"}}, or 503 {@code {"status":"not_serving"}}); the seed's {@code GET /admin/health} and {@code GET
 * /admin/leader}; {@code GET /admin/maintenance} and {@code GET /admin/maintenance/status}
 * read the maintenance flag, {@code PUT|POST|GET /admin/maintenance?enable=true|false} (the
 * seed's form, and newer GreptimeDB's for older greptimedb-operator versions) and {@code POST
 * /admin/maintenance/enable|disable} (the newer form) set it, all answering {@code {"enabled":
 * bool}}; GreptimeDB's {@code GET /admin/node-lease}, {@code GET /admin/heartbeat[?addr=]} and
 * {@code /admin/heartbeat/help} and our {@code GET /admin/failed-regions} (leader only); newer GreptimeDB's {@code GET
 * /admin/sequence/table/next-id} and {@code POST /admin/sequence/table/set-next-id} (body {@code
 * {"next_table_id":N}}, both answering {@code {"next_table_id":N}}), and our {@code POST
 * /admin/sequence/table/allocate} ({@code {"table_id":N}}), leader only; {@code GET /metrics} in
 * Prometheus text format. A leader-only request on a node that cannot act as leader is answered
 * 503 naming the leader, with {@code Retry-After} while the node is still starting as leader.
 */
public final class AdminHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String JSON = "application/json";
  /** GreptimeDB's table ids are unsigned 32-bit. */
  private static final long MAX_TABLE_ID = 0xFFFF_FFFFL;
  /** Request bodies are small JSON documents; anything larger is refused. */
  private static final int MAX_BODY_BYTES = 64 * 1024;
  private static final ObjectMapper JSON_MAPPER = new ObjectMapper();
  private static final int WORKERS = 4;
  private static final int WORKER_QUEUE = 64;
  private static final String HEARTBEAT_HELP_TEXT = """
      - GET /admin/heartbeat
      - GET /admin/heartbeat?addr=127.0.0.1:3001
      """;

  private final AdminBackend backend;
  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ExecutorService dispatch;
  private final ExecutorService workers;

  private AdminHttpServer(AdminBackend backend, PrometheusMeterRegistry registry, HttpServer server,
      ExecutorService dispatch, ExecutorService workers) {
    this.backend = backend;
    this.registry = registry;
    this.server = server;
    this.dispatch = dispatch;
    this.workers = workers;
  }

  /**
   * Binds {@code address} and starts serving. Requests are read on two dispatch threads, which
   * also answer the routes that need neither the store nor the leader's view ({@code /health},
   * {@code /admin/health}, {@code /admin/leader}, {@code /metrics}): a liveness probe is answered
   * even while every worker waits on a slow store. The other routes run on {@value #WORKERS}
   * workers with a queue of {@value #WORKER_QUEUE}; beyond that they are answered 503.
   */
  public static AdminHttpServer start(InetSocketAddress address, AdminBackend backend,
      PrometheusMeterRegistry registry) throws IOException {
    HttpServer server = HttpServer.create(address, 64);
    ExecutorService dispatch = Executors.newFixedThreadPool(2, namedThreads("metasrv-http-"));
    ExecutorService workers = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(WORKER_QUEUE), namedThreads("metasrv-http-worker-"));
    AdminHttpServer admin = new AdminHttpServer(backend, registry, server, dispatch, workers);
    server.createContext("/", admin::handle);
    server.setExecutor(dispatch);
    server.start();
    return admin;
  }

  private static ThreadFactory namedThreads(String prefix) {
    AtomicInteger threads = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    for (ExecutorService executor : List.of(workers, dispatch)) {
      executor.shutdown();
      try {
        if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        executor.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  private void handle(HttpExchange exchange) {
    long start = System.nanoTime();
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    Route route = Route.of(path);
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      log.debug("admin http: client went away during {} {}: {}", method, path, e.toString());
      exchange.close();
      record(method, route, 499, start);
      return;
    }
    if (route.answeredInline) {
      answer(exchange, route, method, body, start);
      return;
    }
    try {
      workers.execute(() -> answer(exchange, route, method, body, start));
    } catch (RejectedExecutionException e) {
      answer(exchange, Route.BUSY, method, body, start);
    }
  }

  private void answer(HttpExchange exchange, Route route, String method, byte[] body,
      long start) {
    int status;
    try (exchange) {
      status = respond(exchange, route, method, body);
    } catch (IOException e) {
      log.debug("admin http: client went away during {} {}: {}", method, route.template,
          e.toString());
      status = 499;
    }
    record(method, route, status, start);
  }

  private void record(String method, Route route, int status, long start) {
    Timer.builder("metasrv.http.requests")
        .description("Admin HTTP requests by route, method and status")
        .tags("method", method, "route", route.template, "status", Integer.toString(status))
        .register(registry)
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  private int respond(HttpExchange exchange, Route route, String method, byte[] body)
      throws IOException {
    try {
      if (body.length > MAX_BODY_BYTES) {
        throw new HttpError(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
      }
      if (route == Route.BUSY) {
        exchange.getResponseHeaders().set("Retry-After", "1");
        throw new HttpError(503, "too many admin requests waiting; try again shortly");
      }
      if (!route.methods.contains(method)) {
        if (route == Route.NOT_FOUND) {
          throw new HttpError(404, "no such path: " + exchange.getRequestURI().getPath());
        }
        exchange.getResponseHeaders().set("Allow", String.join(", ", route.methods));
        throw new HttpError(405, "method " + method + " not allowed on " + route.template
            + "; allowed: " + String.join(", ", route.methods));
      }
      return switch (route) {
        case HEALTH -> health(exchange);
        case ADMIN_HEALTH -> send(exchange, 200, TEXT, "OK\n");
        case LEADER -> send(exchange, 200, TEXT, backend.leaderAddr()
            .orElseThrow(() -> new HttpError(503, "no leader is known")));
        case MAINTENANCE -> maintenance(exchange, method);
        case MAINTENANCE_STATUS -> sendMaintenance(exchange, backend.maintenanceEnabled());
        case MAINTENANCE_ENABLE -> sendMaintenance(exchange, backend.setMaintenance(true));
        case MAINTENANCE_DISABLE -> sendMaintenance(exchange, backend.setMaintenance(false));
        case NODE_LEASE -> send(exchange, 200, JSON, backend.nodeLeasesJson());
        case HEARTBEAT -> send(exchange, 200, JSON, backend.heartbeatsJson(
            Optional.ofNullable(queryParams(exchange.getRequestURI()).get("addr"))));
        case HEARTBEAT_HELP -> send(exchange, 200, TEXT, HEARTBEAT_HELP_TEXT);
        case FAILED_REGIONS -> send(exchange, 200, JSON, backend.failedRegionsJson());
        case NEXT_TABLE_ID -> sendNextTableId(exchange, backend.nextTableId());
        case SET_NEXT_TABLE_ID -> sendNextTableId(exchange,
            backend.setNextTableId(nextTableIdOf(body)));
        case ALLOCATE_TABLE_ID -> send(exchange, 200, JSON,
            "{\"table_id\":" + backend.allocateTableId() + "}");
        case PROCEDURES -> send(exchange, 200, JSON, backend.proceduresJson());
        case PROCEDURE_MANAGER_STATUS -> sendProcedureManager(exchange,
            backend.procedureManagerPaused());
        case PROCEDURE_MANAGER_PAUSE -> sendProcedureManager(exchange,
            backend.setProcedureManagerPaused(true));
        case PROCEDURE_MANAGER_RESUME -> sendProcedureManager(exchange,
            backend.setProcedureManagerPaused(false));
        case METRICS -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
            registry.scrape());
        case NOT_FOUND, BUSY -> throw new IllegalStateException("unreachable");
      };
    } catch (HttpError e) {
      return send(exchange, e.status(), TEXT, e.getMessage() + "\n");
    } catch (SequenceJumpRefusedException e) {
      return send(exchange, 409, TEXT, e.getMessage() + "\n");
    } catch (NotLeaderException e) {
      if (e.isStartingAsLeader()) {
        exchange.getResponseHeaders().set("Retry-After",
            Integer.toString(NotLeaderException.STARTING_RETRY_AFTER_SECONDS));
      }
      return send(exchange, 503, TEXT, e.getMessage() + "\n");
    } catch (KvException e) {
      log.warn("admin http: {} {} failed: store error: {}", method, route.template, e.getMessage());
      return send(exchange, 503, TEXT, "store unavailable: " + e.getMessage() + "\n");
    } catch (RuntimeException e) {
      log.error("admin http: {} {} failed", method, route.template, e);
      return send(exchange, 500, TEXT, "internal error: " + e + "\n");
    }
  }

  private int health(HttpExchange exchange) throws IOException {
    NodeHealth health = backend.health();
    String epoch = health == NodeHealth.LEADER ? ",\"epoch\":" + backend.leaderEpoch() : "";
    return send(exchange, health.serving() ? 200 : 503, JSON,
        "{\"status\":\"" + health.wireName() + "\"" + epoch + "}");
  }

  /**
   * {@code GET} without {@code enable} reads the flag; {@code PUT} (the seed), {@code POST} and
   * {@code GET} (newer GreptimeDB, for older greptimedb-operator versions) with {@code
   * ?enable=true|false} set it.
   */
  private int maintenance(HttpExchange exchange, String method) throws IOException {
    String enable = queryParams(exchange.getRequestURI()).get("enable");
    if (enable == null) {
      if (method.equals("GET")) {
        return sendMaintenance(exchange, backend.maintenanceEnabled());
      }
      throw new HttpError(400, "missing required parameter 'enable'");
    }
    if (!enable.equals("true") && !enable.equals("false")) {
      throw new HttpError(400, "'enable' must be 'true' or 'false', got '" + enable + "'");
    }
    return sendMaintenance(exchange, backend.setMaintenance(Boolean.parseBoolean(enable)));
  }

  private static int sendNextTableId(HttpExchange exchange, long nextTableId)
      throws IOException {
    return send(exchange, 200, JSON, "{\"next_table_id\":" + nextTableId + "}");
  }

  /** {@code {"next_table_id": N}}, N a table id (unsigned 32-bit), as GreptimeDB takes it. */
  private static long nextTableIdOf(byte[] body) {
    JsonNode json;
    try {
      json = JSON_MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new HttpError(400, "request body must be {\"next_table_id\": <table id>}; it is not"
          + " JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new HttpError(400, "cannot read request body: " + e.getMessage());
    }
    JsonNode next = json == null ? null : json.get("next_table_id");
    if (next == null || !next.isIntegralNumber()) {
      throw new HttpError(400, "request body must be {\"next_table_id\": <table id>}");
    }
    if (!next.canConvertToLong() || next.asLong() < 0 || next.asLong() > MAX_TABLE_ID) {
      throw new HttpError(400, "next_table_id must be between 0 and " + MAX_TABLE_ID
          + ", got " + next.asText());
    }
    return next.asLong();
  }

  /** Newer GreptimeDB's answer: {@code {"status":"running"|"paused"}}. */
  private static int sendProcedureManager(HttpExchange exchange, boolean paused)
      throws IOException {
    return send(exchange, 200, JSON, "{\"status\":\"" + (paused ? "paused" : "running") + "\"}");
  }

  private static int sendMaintenance(HttpExchange exchange, boolean enabled) throws IOException {
    return send(exchange, 200, JSON, "{\"enabled\":" + enabled + "}");
  }

  private static int send(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return status;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    return status;
  }

  private static Map<String, String> queryParams(URI uri) {
    Map<String, String> params = new HashMap<>();
    String query = uri.getRawQuery();
    if (query == null || query.isEmpty()) {
      return params;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        params.put(URLDecoder.decode(name, StandardCharsets.UTF_8),
            URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new HttpError(400, "malformed query string: " + e.getMessage());
      }
    }
    return params;
  }

  /**
   * The routes; {@code template} is the metric label, so unknown paths share one label. Routes
   * answered inline need neither the store nor the leader's view.
   */
  private enum Route {
    HEALTH("/health", true, "GET", "HEAD"),
    ADMIN_HEALTH("/admin/health", true, "GET", "HEAD"),
    LEADER("/admin/leader", true, "GET"),
    MAINTENANCE("/admin/maintenance", false, "GET", "PUT", "POST"),
    MAINTENANCE_STATUS("/admin/maintenance/status", false, "GET"),
    MAINTENANCE_ENABLE("/admin/maintenance/enable", false, "POST"),
    MAINTENANCE_DISABLE("/admin/maintenance/disable", false, "POST"),
    NODE_LEASE("/admin/node-lease", false, "GET"),
    HEARTBEAT("/admin/heartbeat", false, "GET"),
    HEARTBEAT_HELP("/admin/heartbeat/help", true, "GET"),
    FAILED_REGIONS("/admin/failed-regions", false, "GET"),
    NEXT_TABLE_ID("/admin/sequence/table/next-id", false, "GET"),
    SET_NEXT_TABLE_ID("/admin/sequence/table/set-next-id", false, "POST"),
    ALLOCATE_TABLE_ID("/admin/sequence/table/allocate", false, "POST"),
    PROCEDURES("/admin/procedures", false, "GET"),
    PROCEDURE_MANAGER_STATUS("/admin/procedure-manager/status", false, "GET"),
    PROCEDURE_MANAGER_PAUSE("/admin/procedure-manager/pause", false, "POST"),
    PROCEDURE_MANAGER_RESUME("/admin/procedure-manager/resume", false, "POST"),
    METRICS("/metrics", true, "GET"),
    NOT_FOUND("other", true),
    /** Any worker route while the workers' queue is full. */
    BUSY("busy", true);

    private final String template;
    private final boolean answeredInline;
    private final List<String> methods;

    Route(String template, boolean answeredInline, String... methods) {
      this.template = template;
      this.answeredInline = answeredInline;
      this.methods = List.of(methods);
    }

    static Route of(String path) {
      String trimmed = path.length() > 1 && path.endsWith("/")
          ? path.substring(0, path.length() - 1) : path;
      for (Route route : values()) {
        if (route != BUSY && route.template.equals(trimmed)) {
          return route;
        }
      }
      return NOT_FOUND;
    }
  }
}
