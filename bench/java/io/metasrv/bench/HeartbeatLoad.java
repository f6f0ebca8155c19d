package io.metasrv.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.metasrv.grpc.MessageCompression;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Many simulated datanodes' heartbeat streams from one JVM: one bidi stream per node over a few
 * shared connections, no thread per node. One sender thread sends every node's heartbeat once
 * per interval, the sends spread evenly over it; each answer's latency is taken from the time
 * its heartbeat was due (so a sender that falls behind shows up in the latency, not hidden by
 * it). Requests are sent zstd-compressed, as GreptimeDB's nodes send them.
 *
 * <p>With {@code expectLeases}, every answer must grant a lease on as many regions as its
 * heartbeat reported and deny none; every {@link #EXACT_CHECK_EVERY}th answer is checked
 * exactly: the granted region ids are the reported ones, each as Leader.
 */
final class HeartbeatLoad implements AutoCloseable {
  static final int EXACT_CHECK_EVERY = 100;
  private static final int CONNECTIONS = 8;
  private static final Duration LATE_ANSWER_GRACE = Duration.ofSeconds(10);

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

  /** What one measured window saw. Latencies in nanoseconds, sorted. */
  record Result(long sent, long answeredInWindow, long unanswered, long[] latencies,
      long maxSenderLagNanos, Duration measured) {
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
      HeartbeatGrpc.newStub(channels.get(i % CONNECTIONS)).withCompression("zstd")
          .heartbeat(nodes[i]);
      nodes[i].send(HeartbeatRequest.newBuilder().setHeader(requests[i].getHeader()).build(),
          System.nanoTime());
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
   * Sends every node's heartbeat once per {@code interval}, spread evenly, for {@code warmUp}
   * and then {@code measure}; blocks until done, waiting up to 10 s for the measured window's
   * late answers. {@code sampler} runs on the calling thread meanwhile, given the window's
   * bounds on {@link System#nanoTime()}.
   */
  Result run(Duration interval, Duration warmUp, Duration measure, WindowSampler sampler)
      throws InterruptedException {
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    Window measured = new Window(start + warmUp.toNanos(),
        start + warmUp.toNanos() + measure.toNanos());
    window = measured;
    AtomicLong sentInWindow = new AtomicLong();
    AtomicLong maxLag = new AtomicLong();
    Thread sender = new Thread(() -> {
      long intervalNanos = interval.toNanos();
      for (long i = 0; ; i++) {
        long due = start + i * intervalNanos / nodes.length;
        if (due >= measured.end || streamFailure.get() != null) {
          return;
        }
        long now = System.nanoTime();
        if (due > now) {
          LockSupport.parkNanos(due - now);
        } else {
          maxLag.accumulateAndGet(now - due, Math::max);
        }
        nodes[(int) (i % nodes.length)].send(nodes[(int) (i % nodes.length)].request, due);
        if (due >= measured.from) {
          sentInWindow.incrementAndGet();
        }
      }
    }, "heartbeat-load-sender");
    sender.start();
    sampler.sample(measured.from, measured.end);
    sender.join();
    long graceEnd = System.nanoTime() + LATE_ANSWER_GRACE.toNanos();
    while (measured.latencyAnswers.get() < sentInWindow.get() && System.nanoTime() < graceEnd
        && streamFailure.get() == null) {
      Thread.sleep(10);
    }
    failOnStreamError();
    return new Result(sentInWindow.get(), measured.answeredInWindow.get(),
        sentInWindow.get() - measured.latencyAnswers.get(), measured.sorted(), maxLag.get(),
        measure);
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
  private final class Node implements ClientResponseObserver<HeartbeatRequest, HeartbeatResponse> {
    final HeartbeatRequest request;
    final CountDownLatch handshakeAnswered = new CountDownLatch(1);
    private ClientCallStreamObserver<HeartbeatRequest> stream;
    private long[] dueTimes = new long[4]; // guarded by this, a ring
    private int head; // guarded by this
    private int pending; // guarded by this

    Node(HeartbeatRequest request) {
      this.request = request;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<HeartbeatRequest> stream) {
      this.stream = stream;
    }

    void send(HeartbeatRequest message, long due) {
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
      Window current = window;
      if (current != null && now >= current.from && now < current.end) {
        current.answeredInWindow.incrementAndGet();
      }
      if (current != null && due >= current.from && due < current.end) {
        current.record(now - due);
        current.latencyAnswers.incrementAndGet();
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
}
