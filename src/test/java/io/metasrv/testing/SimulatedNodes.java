package io.metasrv.testing;

import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What many simulated GreptimeDB nodes in one JVM share: the metasrv addresses they are
 * configured with, one gRPC channel per metasrv address, one timer thread, a small pool that runs
 * every node's stream callbacks, and the {@link MonotonicClock} their leases are kept in. No node
 * owns a thread. Serving datanodes each listen on their own port, but all their servers share
 * one event loop thread and the callback pool. Closing it stops every node made from it and
 * closes the channels.
 */
public final class SimulatedNodes implements AutoCloseable {
  private static final Codec ZSTD = new TonicZstdCodec();
  private static final Duration REBIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(SimulatedNodes.class);

  private final List<String> metasrvAddrs;
  private final MonotonicClock clock;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final List<SimulatedNode> nodes = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer;
  private final ExecutorService callbacks;
  private EventLoopGroup serverLoop;

  /**
   * @param metasrvAddrs {@code host:port} of every metasrv, as a GreptimeDB node's {@code
   *     meta_client.metasrv_addrs}
   */
  public SimulatedNodes(List<String> metasrvAddrs, MonotonicClock clock) {
    if (metasrvAddrs.isEmpty()) {
      throw new IllegalArgumentException("no metasrv address");
    }
    this.metasrvAddrs = List.copyOf(metasrvAddrs);
    this.clock = clock;
    ScheduledThreadPoolExecutor timerPool = new ScheduledThreadPoolExecutor(1,
        named("simulated-node-timer", new AtomicInteger()));
    timerPool.setRemoveOnCancelPolicy(true);
    this.timer = timerPool;
    this.callbacks = Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        named("simulated-node-grpc", new AtomicInteger()));
  }

  /** A datanode with {@code nodeId} serving (in GreptimeDB's eyes) at {@code addr}; not started. */
  public SimulatedDatanode datanode(long nodeId, String addr) {
    return register(new SimulatedDatanode(this, nodeId, addr));
  }

  /**
   * A datanode with {@code nodeId} that serves the Region service on a free loopback port (its
   * address) and opens its {@code __dn_table} regions at start; not started.
   */
  public SimulatedDatanode servingDatanode(long nodeId) {
    return servingDatanode(nodeId, new InetSocketAddress("127.0.0.1", 0));
  }

  /** A serving datanode on {@code bind}: the same address again for a restart. */
  public SimulatedDatanode servingDatanode(long nodeId, InetSocketAddress bind) {
    return register(new SimulatedDatanode(this, nodeId, bind));
  }

  /**
   * Stops {@code datanode} and makes a new, unstarted one with its id and address, as a
   * restarted GreptimeDB datanode: no regions until it reads {@code __dn_table} at start.
   */
  public SimulatedDatanode restart(SimulatedDatanode datanode) {
    datanode.stop();
    String addr = datanode.addr();
    int colon = addr.lastIndexOf(':');
    return servingDatanode(datanode.nodeId(), new InetSocketAddress(addr.substring(0, colon),
        Integer.parseInt(addr.substring(colon + 1))));
  }

  /** A frontend serving (in GreptimeDB's eyes) at {@code addr}; not started. */
  public SimulatedFrontend frontend(String addr) {
    return register(new SimulatedFrontend(this, addr));
  }

  public MonotonicClock clock() {
    return clock;
  }

  List<String> metasrvAddrs() {
    return metasrvAddrs;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  /** The one channel to {@code addr}, which reads and writes zstd as GreptimeDB's client does. */
  ManagedChannel channel(String addr) {
    return channels.computeIfAbsent(addr, target -> NettyChannelBuilder.forTarget(target)
        .usePlaintext()
        .executor(callbacks)
        .compressorRegistry(compressors())
        .decompressorRegistry(DecompressorRegistry.getDefaultInstance().with(ZSTD, true))
        .build());
  }

  /**
   * Starts a server with {@code service} on {@code bind}, on the shared loop and pool. A given
   * port (a restart's) that is not free yet is tried again for up to {@link #REBIND_TIMEOUT}: an
   * outgoing connection can take the port as its own in the moment between the old server
   * closing it and the new one binding it.
   */
  Server serve(InetSocketAddress bind, ServerServiceDefinition service) {
    long deadline = System.nanoTime() + REBIND_TIMEOUT.toNanos();
    while (true) {
      try {
        return start(bind, service);
      } catch (UncheckedIOException e) {
        if (bind.getPort() == 0 || System.nanoTime() - deadline > 0
            || !(e.getCause().getCause() instanceof BindException)) {
          throw e;
        }
        log.info("{} is not free yet, trying again", bind);
        try {
          TimeUnit.MILLISECONDS.sleep(100);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private Server start(InetSocketAddress bind, ServerServiceDefinition service) {
    EventLoopGroup loop;
    synchronized (this) {
      if (serverLoop == null) {
        serverLoop = new NioEventLoopGroup(1, named("simulated-node-server", new AtomicInteger()));
      }
      loop = serverLoop;
    }
    try {
      return NettyServerBuilder.forAddress(bind)
          .channelType(NioServerSocketChannel.class)
          .bossEventLoopGroup(loop)
          .workerEventLoopGroup(loop)
          .executor(callbacks)
          .compressorRegistry(compressors())
          .decompressorRegistry(DecompressorRegistry.getDefaultInstance().with(ZSTD, true))
          .addService(service)
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve on " + bind, e);
    }
  }

  private <N extends SimulatedNode> N register(N node) {
    nodes.add(node);
    return node;
  }

  private static CompressorRegistry compressors() {
    CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
    registry.register(Codec.Identity.NONE);
    registry.register(ZSTD);
    return registry;
  }

  private static ThreadFactory named(String prefix, AtomicInteger count) {
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  @Override
  public void close() {
    nodes.forEach(SimulatedNode::stop);
    timer.shutdownNow();
    channels.values().forEach(ManagedChannel::shutdownNow);
    try {
      for (ManagedChannel channel : channels.values()) {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    callbacks.shutdownNow();
    synchronized (this) {
      if (serverLoop != null) {
        serverLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
  }

  static Duration positive(Duration value, String what) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + value);
    }
    return value;
  }
}
