package io.metasrv.grpc;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.ddl.RegionServer;
import io.metasrv.election.Election;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.HeartbeatHandlerChain;
import io.metasrv.heartbeat.HeartbeatPipeline;
import io.metasrv.heartbeat.Pushers;
import io.metasrv.kv.KvBackend;
import io.metasrv.server.Metasrv;
import io.metasrv.testing.FreePorts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** A {@link Metasrv} node serving gRPC on a free loopback port, and a channel to it. */
final class InProcessNode implements AutoCloseable {
  final Metasrv metasrv;
  final GrpcServer server;
  final ManagedChannel channel;

  private InProcessNode(Metasrv metasrv, GrpcServer server, ManagedChannel channel) {
    this.metasrv = metasrv;
    this.server = server;
    this.channel = channel;
  }

  static InProcessNode start(KvBackend store, Election election, MeterRegistry registry) {
    return start(store, election, registry, Optional.empty());
  }

  static InProcessNode start(KvBackend store, Election election, MeterRegistry registry,
      Optional<GrpcTls> tls) {
    return start(store, election, registry, tls, () -> true, List.of());
  }

  /**
   * A node whose store probe answers {@code storeReachable}, and whose heartbeats run through
   * {@code heartbeatHandlers} instead of the node's own chain when they are given.
   */
  static InProcessNode start(KvBackend store, Election election, MeterRegistry registry,
      Optional<GrpcTls> tls, BooleanSupplier storeReachable,
      List<HeartbeatHandler> heartbeatHandlers) {
    return start(store, election, registry, tls, storeReachable, heartbeatHandlers,
        Optional.empty());
  }

  /** A node whose DDL reaches datanodes through {@code regionServer}. */
  static InProcessNode startWithDdl(KvBackend store, Election election, MeterRegistry registry,
      RegionServer regionServer) {
    return start(store, election, registry, Optional.empty(), () -> true, List.of(),
        Optional.of(regionServer));
  }

  private static InProcessNode start(KvBackend store, Election election, MeterRegistry registry,
      Optional<GrpcTls> tls, BooleanSupplier storeReachable,
      List<HeartbeatHandler> heartbeatHandlers, Optional<RegionServer> regionServer) {
    int port = FreePorts.next();
    String addr = "127.0.0.1:" + port;
    Metasrv metasrv = new Metasrv(new MetasrvNodeInfo(addr, "0.1.0-test", "abcdef0123", 42L),
        store, election, storeReachable, new SimpleMeterRegistry(), MetasrvOptions.defaults(),
        regionServer);
    GrpcBackend backend = heartbeatHandlers.isEmpty() ? metasrv
        : withHeartbeats(metasrv, new HeartbeatPipeline(
            new HeartbeatHandlerChain(heartbeatHandlers, registry), new Pushers(),
            System::currentTimeMillis, registry));
    GrpcServer server;
    try {
      server = GrpcServer.start(new InetSocketAddress("127.0.0.1", port), backend, registry,
          tls);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    metasrv.start();
    return new InProcessNode(metasrv, server,
        tls.isPresent() ? null : channelTo(addr));
  }

  /** {@code metasrv} with its heartbeats handed to {@code pipeline}. */
  private static GrpcBackend withHeartbeats(Metasrv metasrv, HeartbeatPipeline pipeline) {
    return (GrpcBackend) Proxy.newProxyInstance(GrpcBackend.class.getClassLoader(),
        new Class<?>[] {GrpcBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("heartbeats")) {
            return pipeline;
          }
          try {
            return method.invoke(metasrv, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** A channel that, like GreptimeDB's clients, reads and writes zstd and gzip. */
  static ManagedChannel channelTo(String addr) {
    int colon = addr.lastIndexOf(':');
    return NettyChannelBuilder.forAddress(addr.substring(0, colon),
            Integer.parseInt(addr.substring(colon + 1)))
        .usePlaintext()
        .compressorRegistry(MessageCompression.compressors())
        .decompressorRegistry(MessageCompression.decompressors())
        .maxInboundMessageSize(64 * 1024 * 1024)
        .build();
  }

  String addr() {
    return metasrv.nodeInfo().addr();
  }

  void awaitLeading(boolean leading) {
    await().atMost(Duration.ofSeconds(10)).until(() -> metasrv.isLeader() == leading);
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
    metasrv.shutdown();
    server.close();
    metasrv.kv().close(); // the node was handed its store; nothing else closes it
  }
}
