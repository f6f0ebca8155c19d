package io.metasrv.grpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.metasrv.protocol.ClusterGrpc;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.ProcedureGrpc;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server on {@code bind_addr} (grpc-java over shaded Netty): the four {@code
 * greptime.v1.meta} services, {@code ProcedureService} also under its older name {@code
 * greptime.v1.meta.Procedure}, {@code grpc.health.v1.Health} (see {@link HealthReporter}) and
 * server reflection.
 *
 * <p>Requests may come zstd- or gzip-compressed and are answered in the same encoding. Every
 * exception becomes a status ({@link FailureStatus}); every call is timed in {@value
 * RequestMetricsInterceptor#METER}.
 *
 * <p>Threads: the server dispatches calls directly on its transport threads. The Store service
 * runs there, because its handlers never wait (they start the store's asynchronous calls and
 * answer from their completion); every other meta service may block (election, heartbeat
 * pipeline, the store's synchronous methods) and runs on the server's own named handler threads
 * (grpc-java's per-call executor choice, {@link #handlerThreadsFor}). Heartbeat streams, thousands
 * of them, share a fixed pool of a few threads per core ({@value #HEARTBEAT_THREADS_PER_CORE}, at
 * least {@value #MIN_HEARTBEAT_THREADS}), whose queue takes the bursts: on a pool that grows per
 * waiting message, a burst of heartbeats started hundreds of threads that only competed for the
 * same cores. Health and reflection answer from memory.
 */
public final class GrpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  /** The service name older GreptimeDB clients call the procedure service by. */
  static final String LEGACY_PROCEDURE_SERVICE = ProcedureGrpc.SERVICE_NAME;

  /**
   * The services whose handlers may block, beside Heartbeat; the others answer on the transport
   * threads.
   */
  private static final Set<String> BLOCKING_SERVICES = Set.of(ClusterGrpc.SERVICE_NAME,
      ProcedureServiceGrpc.SERVICE_NAME, ProcedureGrpc.SERVICE_NAME);

  /**
   * Heartbeat threads per core. The pipeline is CPU work but for the leader store's writes and
   * cache misses (a datanode's first heartbeat rewrites its address), so a few threads per core
   * keep the cores busy while some wait on the store; more only add switching and heap.
   */
  private static final int HEARTBEAT_THREADS_PER_CORE = 4;
  private static final int MIN_HEARTBEAT_THREADS = 8;

  /** GreptimeDB's clients ping every 30 s even when idle; grpc-java's default would refuse. */
  private static final long PERMIT_KEEP_ALIVE_SECONDS = 10;

  /** As GreptimeDB's metasrv (tonic's default): larger requests are refused. */
  static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;

  private final Server server;
  private final HealthReporter health;
  private final List<ExecutorService> executors;

  private GrpcServer(Server server, HealthReporter health, List<ExecutorService> executors) {
    this.server = server;
    this.health = health;
    this.executors = executors;
  }

  /**
   * Binds {@code address} and starts serving.
   *
   * @param tls server TLS, or plaintext when empty
   * @throws IOException when the address cannot be bound or the TLS material cannot be read
   */
  public static GrpcServer start(InetSocketAddress address, GrpcBackend backend,
      MeterRegistry registry, Optional<GrpcTls> tls)
      throws IOException {
    ExecutorService executor = Executors.newCachedThreadPool(namedDaemonThreads("metasrv-grpc-"));
    int heartbeatThreads = Math.max(MIN_HEARTBEAT_THREADS,
        HEARTBEAT_THREADS_PER_CORE * Runtime.getRuntime().availableProcessors());
    ThreadPoolExecutor heartbeatExecutor = new ThreadPoolExecutor(heartbeatThreads,
        heartbeatThreads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        namedDaemonThreads("metasrv-heartbeat-"));
    heartbeatExecutor.allowCoreThreadTimeOut(true);
    HealthReporter health = new HealthReporter(backend);
    List<ServerServiceDefinition> metaServices = List.of(
        new HeartbeatService(backend, backend.heartbeats()).bindService(),
        new StoreService(backend).bindService(),
        new ClusterService(backend).bindService(),
        new ProcedureService(backend).bindService(),
        legacyProcedure(backend));
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address, credentials(tls))
        .directExecutor()
        .callExecutor(handlerThreadsFor(executor, BLOCKING_SERVICES, heartbeatExecutor))
        .compressorRegistry(MessageCompression.compressors())
        .decompressorRegistry(MessageCompression.decompressors())
        .maxInboundMessageSize(MAX_REQUEST_BYTES)
        .permitKeepAliveTime(PERMIT_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .addService(health.manager().getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    RequestMetricsInterceptor metrics = new RequestMetricsInterceptor(registry);
    for (ServerServiceDefinition service : metaServices) {
      // Bodies are parsed inside the interceptors, so an unparsable one is a failure they
      // answer (INVALID_ARGUMENT) rather than grpc-java's UNKNOWN. Interceptors listed later run
      // first: metrics see the final status and time the whole call.
      ServerServiceDefinition parsed =
          ServerInterceptors.useMarshalledMessages(service, UnbufferedMessages.INSTANCE);
      builder.addService(ServerInterceptors.intercept(parsed, new FailureMappingInterceptor(),
          new ResponseCompressionInterceptor(), metrics));
    }
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException | RuntimeException e) {
      health.close();
      executor.shutdownNow();
      heartbeatExecutor.shutdownNow();
      throw e;
    }
    log.info("grpc serving on {} (tls={}, {} heartbeat threads)",
        server.getListenSockets().get(0), tls.isPresent(), heartbeatThreads);
    return new GrpcServer(server, health, List.of(executor, heartbeatExecutor));
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /**
   * Stops accepting calls and gives running ones a moment: heartbeat streams are cut, and the
   * nodes reconnect to whichever node leads.
   */
  @Override
  public void close() {
    health.close();
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executors.forEach(ExecutorService::shutdown);
    try {
      for (ExecutorService executor : executors) {
        if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
          executor.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      executors.forEach(ExecutorService::shutdownNow);
      Thread.currentThread().interrupt();
    }
    log.info("grpc stopped");
  }

  /**
   * The handler threads for calls of {@code blockingServices}, and the heartbeat threads for
   * heartbeat streams; every other call stays on the transport thread that received it (null:
   * the server's direct executor). grpc-java still starts each call and delivers its messages
   * one at a time, in order.
   */
  private static ServerCallExecutorSupplier handlerThreadsFor(Executor handlers,
      Set<String> blockingServices, Executor heartbeats) {
    return new ServerCallExecutorSupplier() {
      @Override
      public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
        String service = call.getMethodDescriptor().getServiceName();
        if (service.equals(HeartbeatGrpc.SERVICE_NAME)) {
          return heartbeats;
        }
        return blockingServices.contains(service) ? handlers : null;
      }
    };
  }

  private static ThreadFactory namedDaemonThreads(String prefix) {
    AtomicInteger threads = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static ServerCredentials credentials(Optional<GrpcTls> tls) throws IOException {
    if (tls.isEmpty()) {
      return InsecureServerCredentials.create();
    }
    GrpcTls config = tls.get();
    TlsServerCredentials.Builder credentials = TlsServerCredentials.newBuilder()
        .keyManager(config.certChain().toFile(), config.privateKey().toFile());
    if (config.clientCa().isPresent()) {
      credentials.trustManager(config.clientCa().get().toFile())
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return credentials.build();
  }

  /**
   * The procedure handlers under the older service name, bound to the {@code Procedure} service
   * declared with the same methods in {@code procedure.proto}: its descriptor is a real one, so
   * reflection lists and describes the alias like any other service.
   */
  private static ServerServiceDefinition legacyProcedure(GrpcBackend backend) {
    ServerServiceDefinition current = new ProcedureService(backend).bindService();
    ServerServiceDefinition.Builder legacy =
        ServerServiceDefinition.builder(ProcedureGrpc.getServiceDescriptor());
    for (MethodDescriptor<?, ?> method : ProcedureGrpc.getServiceDescriptor().getMethods()) {
      bindLike(legacy, method, current.getMethod(MethodDescriptor.generateFullMethodName(
          ProcedureServiceGrpc.SERVICE_NAME, method.getBareMethodName())));
    }
    return legacy.build();
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> void bindLike(ServerServiceDefinition.Builder builder,
      MethodDescriptor<Q, R> method, ServerMethodDefinition<?, ?> handlerOf) {
    // Same request and response types on both services (procedure.proto), so the same handler.
    builder.addMethod(method,
        ((ServerMethodDefinition<Q, R>) handlerOf).getServerCallHandler());
  }
}
