package io.metasrv.bench;

import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.metasrv.grpc.MessageCompression;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Many simulated datanodes' heartbeat streams from one JVM: one bidi stream per node over a few
 * shared connections, no thread per node. One sender thread sends every node's heartbeat once
 * per interval, the sends spread evenly over it; each answer's latency is taken from the time
 * its heartbeat was due (so a sender that falls behind shows up in the latency, not hidden by
 * it). Requests are sent zstd-compressed, as GreptimeDB's nodes send them. Each node's
 * heartbeat is serialized once, before the run: a node's periodic request does not change, and
 * serializing 100 region stats on every send took most of the generator's CPU (which shares the
 * machine's cores with the server measured).
 *
 * <p>The measured window opens once the server has settled, not at a fixed time: each node's
 * first heartbeat costs the server far more than the later ones (its address is written and its
 * tables' caches invalidated on every stream), and with thousands of nodes that burst takes
 * seconds of CPU to work off. A window opened while the server still works off that backlog
 * would measure the burst, not the sustained load; the burst is reported on its own ({@link
 * WarmUp}).
 *
 * <p>With {@code expectLeases}, every answer must grant a lease on as many regions as its
 * heartbeat reported and deny none; every {@link #EXACT_CHECK_EVERY}th answer is checked
 * exactly: the granted region ids are the reported ones, each as Leader.
 */
final class HeartbeatLoad implements AutoCloseable {
  static final int EXACT_CHECK_EVERY = 100;
  private static final int CONNECTIONS = 8;
  private static final Duration LATE_ANSWER_GRACE = Duration.ofSeconds(10);
  private static final Duration SETTLE_CHECK_EVERY = Duration.ofSeconds(1);
  private static final Duration SETTLED_SENDER_LAG = Duration.ofMillis(50);
  /** Heartbeat with requests already serialized: sent as they are, answers parsed. */
  private static final MethodDescriptor<byte[], HeartbeatResponse> SERIALIZED_HEARTBEAT =
      HeartbeatGrpc.getHeartbeatMethod().toBuilder(new SerializedMarshaller(),
          ProtoUtils.marshaller(HeartbeatResponse.getDefaultInstance())).build();

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Node[] nodes;
  private final boolean expectLeases;
  private final AtomicLong answers = new AtomicLong();
  private final AtomicLong errorAnswers = new AtomicLong();
  private final AtomicLong leaseMismatches = new AtomicLong();
  private final AtomicLong exactChecks = new AtomicLong();
  private final AtomicLong exactMismatches = new AtomicLong();
  private final AtomicReference<String> firstProblem = new AtomicReference<>();
  private final AtomicReference<Throwable> streamFailure = new AtomicReference<>();
  private volatile Window window;
  /** Heartbeats sent and not answered yet (handshakes excluded). */
  private final AtomicLong outstanding = new AtomicLong();
  private final AtomicInteger nodesAnsweredOnce = new AtomicInteger();
  private final AtomicLong allAnsweredOnceAt = new AtomicLong();
  private final AtomicLong warmUpMaxLatency = new AtomicLong();
  /** How late the sender's last send was: a generator that cannot keep up never settles. */
  private volatile long senderLagNanos;

  /**
   * The run before its window: how long it lasted, whether the server settled in it (see {@link
   * #run}), when every node's first periodic heartbeat had been answered (nanoseconds after the
   * first was due; -1 if not all were) and the worst latency of a heartbeat due in it.
   */
  record WarmUp(Duration lasted, boolean settled, long allAnsweredOnceNanos,
      long maxLatencyNanos) {}

  /** What one measured window saw. Latencies in nanoseconds, sorted. */
  record Result(WarmUp warmUp, long sent, long answeredInWindow, long unanswered,
      long[] latencies, long maxSenderLagNanos, Duration measured) {
    double offeredPerSecond() {
      return sent / seconds();
    }

    double answeredPerSecond() {
      return answeredInWindow / seconds();
    }

    double percentileMillis(double percentile) {
      if (latencies.length == 0) {
        return Double.NaN;
      }
      int index = (int) Math.ceil(percentile / 100 * latencies.length) - 1;
      return latencies[Math.max(0, index)] / 1e6;
    }

    private double seconds() {
      return measured.toNanos() / 1e9;
    }
  }

  /** The measured window's bounds and what it collects (answers arrive on transport threads). */
  private static final class Window {
    final long from;
    final long end;
    final AtomicLong answeredInWindow = new AtomicLong();
    final AtomicLong latencyAnswers = new AtomicLong();
    private long[] latencies = new long[1 << 16];
    private int count;

    Window(long from, long end) {
      this.from = from;
      this.end = end;
    }

    synchronized void record(long latencyNanos) {
      if (count == latencies.length) {
        latencies = Arrays.copyOf(latencies, count * 2);
      }
      latencies[count++] = latencyNanos;
    }

    synchronized long[] sorted() {
      long[] sorted = Arrays.copyOf(latencies, count);
      Arrays.sort(sorted);
      return sorted;
    }
  }

  /**
   * Opens one stream per request (each request is one node's periodic heartbeat) to {@code
   * addr} and sends each node's header-only handshake; {@link #awaitConnected} waits for the
   * answers.
   */
  HeartbeatLoad(String addr, HeartbeatRequest[] requests, boolean expectLeases) {
    this.expectLeases = expectLeases;
    for (int i = 0; i < CONNECTIONS; i++) {
      channels.add(NettyChannelBuilder.forTarget(addr)
          .usePlaintext()
          .directExecutor()
          .compressorRegistry(MessageCompression.compressors())
          .decompressorRegistry(MessageCompression.decompressors())
          .build());
    }
    nodes = new Node[requests.length];
    for (int i = 0; i < requests.length; i++) {
      nodes[i] = new Node(requests[i]);
      ClientCalls.asyncBidiStreamingCall(channels.get(i % CONNECTIONS).newCall(
          SERIALIZED_HEARTBEAT, CallOptions.DEFAULT.withCompression("zstd")), nodes[i]);
      nodes[i].send(HeartbeatRequest.newBuilder().setHeader(requests[i].getHeader()).build()
          .toByteArray(), System.nanoTime());
    }
  }

  void awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Node node : nodes) {
      long left = deadline - System.nanoTime();
      if (!node.handshakeAnswered.await(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException("handshakes not all answered within " + timeout);
      }
      failOnStreamError();
    }
  }

  /**
   * Sends every node's heartbeat once per {@code interval}, spread evenly, through a warm-up and
   * then {@code measure}; blocks until done, waiting up to 10 s for the measured window's late
   * answers. The warm-up lasts at least {@code minWarmUp} and until the server has settled:
   * every node's first heartbeat answered and, at two checks a second apart, no more heartbeats
   * waiting for an answer than a hundredth of the nodes (plus ten) and the sender less than
   * {@link #SETTLED_SENDER_LAG} behind its schedule; after {@code maxWarmUp} the
   * window opens anyway and the result says the server never settled. {@code sampler} runs on
   * the calling thread meanwhile, given the window's bounds on {@link System#nanoTime()}.
   */
  Result run(Duration interval, Duration minWarmUp, Duration maxWarmUp, Duration measure,
      WindowSampler sampler) throws InterruptedException {
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    AtomicLong sentInWindow = new AtomicLong();
    AtomicLong maxLag = new AtomicLong();
    Thread sender = new Thread(() -> {
      long intervalNanos = interval.toNanos();
      for (long i = 0; ; i++) {
        long due = start + i * intervalNanos / nodes.length;
        Window current = window;
        if ((current != null && due >= current.end) || streamFailure.get() != null) {
          return;
        }
        long now = System.nanoTime();
        senderLagNanos = Math.max(0, now - due);
        if (due > now) {
          LockSupport.parkNanos(due - now);
        } else if (current != null) {
          maxLag.accumulateAndGet(now - due, Math::max);
        }
        outstanding.incrementAndGet();
        Node node = nodes[(int) (i % nodes.length)];
        node.send(node.serialized, due);
        if (current != null && due >= current.from) {
          sentInWindow.incrementAndGet();
        }
      }
    }, "heartbeat-load-sender");
    sender.start();
    boolean settled = awaitSettled(start + minWarmUp.toNanos(), start + maxWarmUp.toNanos());
    // Opens a little ahead, so that no heartbeat the sender has already sent is due in it.
    long from = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
    Window measured = new Window(from, from + measure.toNanos());
    window = measured;
    long allAnswered = allAnsweredOnceAt.get();
    WarmUp warmUp = new WarmUp(Duration.ofNanos(from - start), settled,
        allAnswered == 0 ? -1 : allAnswered - start, warmUpMaxLatency.get());
    sampler.sample(measured.from, measured.end);
    sender.join();
    long graceEnd = System.nanoTime() + LATE_ANSWER_GRACE.toNanos();
    while (measured.latencyAnswers.get() < sentInWindow.get() && System.nanoTime() < graceEnd
        && streamFailure.get() == null) {
      Thread.sleep(10);
    }
    failOnStreamError();
    return new Result(warmUp, sentInWindow.get(), measured.answeredInWindow.get(),
        sentInWindow.get() - measured.latencyAnswers.get(), measured.sorted(), maxLag.get(),
        measure);
  }

  /** Whether the server settled (see {@link #run}) by {@code latest}; not before {@code earliest}. */
  private boolean awaitSettled(long earliest, long latest) throws InterruptedException {
    long backlogAllowed = nodes.length / 100 + 10;
    boolean settledAtLastCheck = false;
    sleepUntil(earliest);
    while (System.nanoTime() < latest) {
      failOnStreamError();
      boolean settled = nodesAnsweredOnce.get() == nodes.length
          && outstanding.get() <= backlogAllowed
          && senderLagNanos < SETTLED_SENDER_LAG.toNanos();
      if (settled && settledAtLastCheck) {
        return true;
      }
      settledAtLastCheck = settled;
      sleepUntil(Math.min(latest, System.nanoTime() + SETTLE_CHECK_EVERY.toNanos()));
    }
    return false;
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** Runs on the caller's thread while heartbeats are sent; returns at or after {@code end}. */
  interface WindowSampler {
    void sample(long from, long end) throws InterruptedException;
  }

  long answers() {
    return answers.get();
  }

  long errorAnswers() {
    return errorAnswers.get();
  }

  long leaseMismatches() {
    return leaseMismatches.get();
  }

  long exactChecks() {
    return exactChecks.get();
  }

  long exactMismatches() {
    return exactMismatches.get();
  }

  /** The first wrong answer seen, if any. */
  String firstProblem() {
    return firstProblem.get();
  }

  private void failOnStreamError() {
    if (streamFailure.get() != null) {
      throw new IllegalStateException("a heartbeat stream failed", streamFailure.get());
    }
  }

  @Override
  public void close() {
    for (Node node : nodes) {
      node.close();
    }
    channels.forEach(ManagedChannel::shutdownNow);
    try {
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One datanode's stream: the due times of heartbeats not answered yet, oldest first. */
  private final class Node implements ClientResponseObserver<byte[], HeartbeatResponse> {
    final HeartbeatRequest request;
    final byte[] serialized;
    final CountDownLatch handshakeAnswered = new CountDownLatch(1);
    private ClientCallStreamObserver<byte[]> stream;
    private long[] dueTimes = new long[4]; // guarded by this, a ring
    private int head; // guarded by this
    private int pending; // guarded by this
    private boolean answeredOnce; // answers of one stream arrive one at a time

    Node(HeartbeatRequest request) {
      this.request = request;
      this.serialized = request.toByteArray();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<byte[]> stream) {
      this.stream = stream;
    }

    void send(byte[] message, long due) {
      synchronized (this) {
        if (pending == dueTimes.length) {
          long[] grown = new long[dueTimes.length * 2];
          for (int i = 0; i < pending; i++) {
            grown[i] = dueTimes[(head + i) % dueTimes.length];
          }
          dueTimes = grown;
          head = 0;
        }
        dueTimes[(head + pending++) % dueTimes.length] = due;
      }
      stream.onNext(message);
    }

    private synchronized long takeOldestDue() {
      if (pending == 0) {
        return -1;
      }
      long due = dueTimes[head];
      head = (head + 1) % dueTimes.length;
      pending--;
      return due;
    }

    @Override
    public void onNext(HeartbeatResponse response) {
      if (response.hasMailboxMessage()) {
        return; // a push, not the answer to a heartbeat
      }
      long now = System.nanoTime();
      long due = takeOldestDue();
      if (handshakeAnswered.getCount() > 0) {
        handshakeAnswered.countDown();
        check(response, HeartbeatRequest.getDefaultInstance());
        return;
      }
      outstanding.decrementAndGet();
      if (!answeredOnce) {
        answeredOnce = true;
        if (nodesAnsweredOnce.incrementAndGet() == nodes.length) {
          allAnsweredOnceAt.set(now);
        }
      }
      Window current = window;
      if (current != null && now >= current.from && now < current.end) {
        current.answeredInWindow.incrementAndGet();
      }
      if (current != null && due >= current.from && due < current.end) {
        current.record(now - due);
        current.latencyAnswers.incrementAndGet();
      } else if (current == null || due < current.from) {
        warmUpMaxLatency.accumulateAndGet(now - due, Math::max);
      }
      check(response, request);
    }

    private void check(HeartbeatResponse response, HeartbeatRequest sent) {
      long answer = answers.incrementAndGet();
      if (response.getHeader().hasError()) {
        errorAnswers.incrementAndGet();
        firstProblem.compareAndSet(null, "error answer to datanode "
            + sent.getHeader().getMemberId() + ": " + response.getHeader().getError());
        return;
      }
      if (!expectLeases || sent.getRegionStatsCount() == 0) {
        return;
      }
      RegionLease lease = response.getRegionLease();
      if (lease.getRegionsCount() != sent.getRegionStatsCount()
          || lease.getCloseableRegionIdsCount() > 0) {
        leaseMismatches.incrementAndGet();
        firstProblem.compareAndSet(null, "datanode " + sent.getHeader().getMemberId()
            + " reported " + sent.getRegionStatsCount() + " regions; the answer granted "
            + lease.getRegionsCount() + " and denied " + lease.getCloseableRegionIdsCount());
      }
      if (answer % EXACT_CHECK_EVERY == 0) {
        exactChecks.incrementAndGet();
        Set<Long> reported = new HashSet<>();
        for (RegionStat stat : sent.getRegionStatsList()) {
          reported.add(stat.getRegionId());
        }
        Set<Long> granted = new HashSet<>();
        boolean allLeader = true;
        for (GrantedRegion region : lease.getRegionsList()) {
          granted.add(region.getRegionId());
          allLeader &= region.getRole() == RegionRole.Leader;
        }
        if (!granted.equals(reported) || !allLeader) {
          exactMismatches.incrementAndGet();
          firstProblem.compareAndSet(null, "datanode " + sent.getHeader().getMemberId()
              + ": granted " + lease.getRegionsList() + " for reported " + reported);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      streamFailure.compareAndSet(null, t);
      handshakeAnswered.countDown();
    }

    @Override
    public void onCompleted() {
      streamFailure.compareAndSet(null,
          new IllegalStateException("the server ended a heartbeat stream"));
      handshakeAnswered.countDown();
    }

    void close() {
      stream.cancel("load over", null);
    }
  }

  /** A message serialized before: its bytes as they are (drained into the frame in one write). */
  private static final class SerializedMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] message) {
      return new SerializedStream(message);
    }

    @Override
    public byte[] parse(InputStream stream) {
      throw new UnsupportedOperationException("the load generator only sends requests");
    }
  }

  private static final class SerializedStream extends ByteArrayInputStream
      implements Drainable, KnownLength {
    SerializedStream(byte[] message) {
      super(message);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int drained = count - pos;
      target.write(buf, pos, drained);
      pos = count;
      return drained;
    }
  }
}
