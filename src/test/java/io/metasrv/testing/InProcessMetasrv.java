package io.metasrv.testing;

import static org.awaitility.Awaitility.await;

import io.metasrv.config.ConfigLoader;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.http.NodeHealth;
import io.metasrv.server.MetasrvServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The real server in this JVM, on the memory store and free loopback ports. */
final class InProcessMetasrv {
  private InProcessMetasrv() {}

  /** Starts it with its data under {@code dataHome} and waits until it leads. */
  static MetasrvServer startLeading(Path dataHome) {
    int rpcPort = FreePorts.next();
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("bind_addr", "127.0.0.1:" + rpcPort);
    overrides.put("server_addr", "127.0.0.1:" + rpcPort);
    overrides.put("http.addr", "127.0.0.1:" + FreePorts.next());
    overrides.put("data_home", dataHome.toString());
    overrides.put("use_memory_store", "true");
    MetasrvOptions options = ConfigLoader.load(null, Map.of(), overrides);
    MetasrvServer server = MetasrvServer.start(options, Clock.systemUTC());
    try {
      await().atMost(Duration.ofSeconds(20))
          .until(() -> server.metasrv().health() == NodeHealth.LEADER);
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** The {@code host:port} nodes are configured with. */
  static String addr(MetasrvServer server) {
    return "127.0.0.1:" + server.grpcAddress().getPort();
  }
}
