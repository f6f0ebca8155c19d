package io.metasrv.testing;

import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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

/**
 * What many simulated GreptimeDB nodes in one JVM share: the metasrv addresses they are
 * configured with, one gRPC channel per metasrv address, one timer thread, a small pool that runs
 * every node's stream callbacks, and the {@link MonotonicClock} their leases are kept in. No node
 * owns a thread. Closing it stops every node made from it and closes the channels.
 */
public final class SimulatedNodes implements AutoCloseable {
  private static final Codec ZSTD = new TonicZstdCodec();

  private final List<String> metasrvAddrs;
  private final MonotonicClock clock;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final List<SimulatedNode> nodes = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer;
  private final ExecutorService callbacks;

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
  }

  static Duration positive(Duration value, String what) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + value);
    }
    return value;
  }
}
