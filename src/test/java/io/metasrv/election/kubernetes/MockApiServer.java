package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;

/**
 * An API server in this JVM: fabric8's mock server in CRUD mode (it keeps the objects written
 * to it, versions them and answers a stale {@code resourceVersion} with 409), over plain HTTP on
 * a loopback port.
 */
public final class MockApiServer implements AutoCloseable {
  public static final String NAMESPACE = "test";

  /** The mock logs every request at INFO through java.util.logging; kept here so it stays. */
  private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver");

  private final KubernetesMockServer server = new KubernetesMockServer(new Context(),
      new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);

  public MockApiServer() {
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  public int port() {
    return server.getPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** A client of {@code url} (this server, or a proxy in front of it) without retries. */
  public static KubernetesClient client(String url, Duration requestTimeout) {
    int millis = Math.toIntExact(requestTimeout.toMillis());
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withNamespace(NAMESPACE)
        .withRequestRetryBackoffLimit(0)
        .withRequestTimeout(millis)
        .withConnectionTimeout(millis)
        .withHttp2Disable(true)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** A client of this server, for a test to look and meddle with. */
  public KubernetesClient client() {
    return client(url(), Duration.ofSeconds(5));
  }

  /** The Lease as the server stores it: the JSON text exactly as the last writer sent it. */
  public String rawLease(String name) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(url() + "/apis/coordination.k8s.io/v1/namespaces/" + NAMESPACE + "/leases/"
            + name)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET lease " + name + ": HTTP " + response.statusCode());
    }
    return response.body();
  }

  @Override
  public void close() {
    server.destroy();
  }

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
    logger.setLevel(java.util.logging.Level.WARNING);
    return logger;
  }
}
