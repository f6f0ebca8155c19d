package io.metasrv.server;

import io.metasrv.config.MetasrvOptions;
import io.metasrv.config.TlsOptions;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.grpc.DatanodeRegionClient;
import io.metasrv.grpc.GrpcServer;
import io.metasrv.grpc.GrpcTls;
import io.metasrv.http.AdminHttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running metasrv process: the {@link Metasrv} node, its store and election, the gRPC and
 * admin HTTP servers and the metrics registry, wired from validated options.
 *
 * <p>Closing it stops them in the safe order: resign and stop leader-only work first (a peer
 * takes over at once), then stop answering gRPC and HTTP, and only then close the store, so
 * that no request still being served finds it closed.
 */
public final class MetasrvServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetasrvServer.class);
  private static final Duration STORE_PROBE_INTERVAL = Duration.ofSeconds(2);

  /**
   * Keys that are accepted (GreptimeDB's files carry them) but that nothing reads yet; the work
   * that will read them is listed in README's "Not built yet". Shrinks as that work lands.
   */
  private static final List<String> OPTIONS_WITHOUT_EFFECT = List.of(
      "[export_metrics]", "[tracing]", "enable_telemetry");

  private final Metasrv metasrv;
  private final AdminHttpServer http;
  private final GrpcServer grpc;
  /** What close() releases after the node has stopped, in this order. */
  private final Deque<AutoCloseable> resources;

  private MetasrvServer(Metasrv metasrv, AdminHttpServer http, GrpcServer grpc,
      Deque<AutoCloseable> resources) {
    this.metasrv = metasrv;
    this.http = http;
    this.grpc = grpc;
    this.resources = resources;
  }

  /**
   * Starts a node from validated options.
   *
   * @throws StartupException when a resource the node needs cannot be had (data home, port)
   */
  public static MetasrvServer start(MetasrvOptions options, Clock clock) {
    long startedAt = clock.millis();
    BuildInfo build = BuildInfo.current();
    MetasrvNodeInfo nodeInfo = new MetasrvNodeInfo(options.serverAddr(), build.version(),
        build.gitCommit(), startedAt);
    log.info("metasrv starting: version={} commit={} server_addr={} backend={}",
        build.version(), build.gitCommit(), options.serverAddr(), options.backend().configName());
    log.warn("options accepted but not in effect yet: {}",
        String.join(", ", OPTIONS_WITHOUT_EFFECT));
    createDataHome(Path.of(options.dataHome()));

    // Opened resources, last first: closed in that order on a failed start and on close().
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    try {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      opened.push(registry::close);
      opened.push(bindProcessMetrics(registry));
      Backends backends = Backends.open(options, registry);
      opened.push(backends.kv());
      // closed by the node's shutdown; here so that a start failing before that closes it too
      opened.push(backends.election());
      StoreProbe storeProbe = new StoreProbe(backends.kv(), STORE_PROBE_INTERVAL);
      opened.push(storeProbe);
      DatanodeRegionClient regionClient = new DatanodeRegionClient(options.datanode().client());
      opened.push(regionClient);
      Metasrv metasrv = new Metasrv(nodeInfo, backends.kv(), backends.election(), storeProbe,
          registry, options, Optional.of(regionClient));
      // after the servers stop, so that no leader-only write still being served finds it closed
      opened.push(metasrv.leaderKv());
      registerNodeGauges(registry, metasrv, build);

      AdminHttpServer http = serve("http.addr", options.http().addr(),
          address -> AdminHttpServer.start(address, metasrv, registry));
      opened.push(http);
      log.info("admin http serving on {}", options.http().addr());
      GrpcServer grpc = serve("bind_addr", options.bindAddr(),
          address -> GrpcServer.start(address, metasrv, registry, grpcTls(options.grpc().tls())));
      opened.push(grpc);
      log.info("grpc serving on {}", options.bindAddr());

      metasrv.start();
      log.info("metasrv started in {} ms: server_addr={}", clock.millis() - startedAt,
          options.serverAddr());
      return new MetasrvServer(metasrv, http, grpc, opened);
    } catch (RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  public Metasrv metasrv() {
    return metasrv;
  }

  public InetSocketAddress httpAddress() {
    return http.address();
  }

  public InetSocketAddress grpcAddress() {
    return grpc.address();
  }

  @Override
  public void close() {
    metasrv.shutdown();
    closeAll(resources);
    log.info("metasrv stopped: addr={}", metasrv.nodeInfo().addr());
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      AutoCloseable resource = resources.pop();
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
      }
    }
  }

  /** A server bound to an option's address; a bind failure names the option. */
  private static <T> T serve(String keyPath, String addr, Binder<T> binder) {
    try {
      return binder.bind(HostPort.parse(keyPath, addr));
    } catch (IOException e) {
      throw new StartupException("cannot serve on " + keyPath + " = " + addr + ": "
          + e.getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface Binder<T> {
    T bind(InetSocketAddress address) throws IOException;
  }

  /** {@code [grpc.tls]}: a certificate to serve with, and a CA to require clients' from. */
  private static Optional<GrpcTls> grpcTls(TlsOptions tls) {
    if (!tls.mode().enabled()) {
      return Optional.empty();
    }
    return Optional.of(new GrpcTls(Path.of(tls.certPath()), Path.of(tls.keyPath()),
        tls.mode().verifiesPeer() ? Optional.of(Path.of(tls.caCertPath())) : Optional.empty()));
  }

  private static void registerNodeGauges(PrometheusMeterRegistry registry, Metasrv metasrv,
      BuildInfo build) {
    Gauge.builder("metasrv.leader", metasrv, m -> m.state() == ServingState.LEADER ? 1 : 0)
        .description("1 while this node is the leader, 0 otherwise")
        .register(registry);
    Gauge.builder("metasrv.leader.epoch", metasrv, m -> m.leaderKv().heldEpoch())
        .description("The leader epoch this node holds, 0 when it does not lead")
        .register(registry);
    Gauge.builder("metasrv.build.info", () -> 1)
        .description("Build of this node")
        .tags("version", build.version(), "git_commit", build.gitCommit())
        .register(registry);
  }

  private static void createDataHome(Path dataHome) {
    try {
      if (!Files.isDirectory(dataHome)) {
        Files.createDirectories(dataHome);
        log.info("data home created: {}", dataHome.toAbsolutePath());
      }
    } catch (IOException e) {
      throw new StartupException("cannot create data_home " + dataHome.toAbsolutePath() + ": "
          + e, e);
    }
  }

  private static JvmGcMetrics bindProcessMetrics(PrometheusMeterRegistry registry) {
    new ClassLoaderMetrics().bindTo(registry);
    // how long the JIT compilers ran: a node's first minutes under load go largely to them
    new JvmCompilationMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    return gcMetrics;
  }

  /** A resource the node needs at start could not be had; the message says which and why. */
  public static final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
