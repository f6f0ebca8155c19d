package io.metasrv.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * Stands in for one metasrv pod's admin HTTP API (the routes README.md documents), on a free
 * loopback port, with the role and maintenance flag the test sets.
 */
final class FakeMetasrvPod implements AutoCloseable {
  private final HttpServer server;
  private final String serverAddr;
  private volatile String role = "follower";
  private volatile String leaderAddr;
  private volatile boolean maintenance;
  private volatile CountDownLatch disableArrived = new CountDownLatch(1);
  private volatile CountDownLatch disableReleased = new CountDownLatch(0);

  FakeMetasrvPod(String serverAddr) throws IOException {
    this.serverAddr = serverAddr;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    // a held request must not hold up the others, as on a real pod
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-metasrv-pod");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** This pod leads; {@code others} follow it. */
  void lead(FakeMetasrvPod... others) {
    role = "leader";
    leaderAddr = serverAddr;
    for (FakeMetasrvPod other : others) {
      other.role = "follower";
      other.leaderAddr = serverAddr;
    }
  }

  /** Follows no one, as while an election is under way. */
  void stepDown() {
    role = "follower";
    leaderAddr = null;
  }

  void breakDown() {
    role = "not_serving";
  }

  boolean maintenance() {
    return maintenance;
  }

  /** Someone else flips the flag, behind the operator's back. */
  void setMaintenance(boolean enabled) {
    maintenance = enabled;
  }

  /**
   * Holds the next "maintenance off" request, unanswered and not yet applied, until {@link
   * #releaseDisable()}; returns a latch that opens when it arrives.
   */
  CountDownLatch holdNextDisable() {
    disableReleased = new CountDownLatch(1);
    disableArrived = new CountDownLatch(1);
    return disableArrived;
  }

  void releaseDisable() {
    disableReleased.countDown();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    if (path.equals("/health")) {
      send(exchange, role.equals("not_serving") ? 503 : 200, "{\"status\":\"" + role + "\"}");
    } else if (path.equals("/admin/leader")) {
      if (leaderAddr == null) {
        send(exchange, 503, "no leader is known\n");
      } else {
        send(exchange, 200, leaderAddr);
      }
    } else if (path.equals("/admin/maintenance") && method.equals("GET")) {
      send(exchange, 200, "{\"enabled\":" + maintenance + "}");
    } else if (path.startsWith("/admin/maintenance/") && method.equals("POST")) {
      if (!role.equals("leader")) {
        send(exchange, 503, "not the leader; the leader is " + leaderAddr + "\n");
        return;
      }
      if (path.endsWith("/disable")) {
        disableArrived.countDown();
        try {
          disableReleased.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      maintenance = path.endsWith("/enable");
      send(exchange, 200, "{\"enabled\":" + maintenance + "}");
    } else {
      send(exchange, 404, "no such path\n");
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
  }
}
