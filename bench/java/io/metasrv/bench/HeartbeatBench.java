package io.metasrv.bench;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.election.StandaloneElection;
import io.metasrv.grpc.GrpcServer;
import io.metasrv.grpc.MessageCompression;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.TimeInterval;
import io.metasrv.server.Metasrv;
import io.metasrv.testing.FreePorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Heartbeat round trips per second through our Heartbeat service (leader, handler answering
 * empty OKs), against a bare grpc-java bidi service that echoes the same response to the same
 * requests, in the same run. Each stream sends its next heartbeat when the previous answer
 * arrives. One stream, then 1,000 streams over 10 connections (a node per stream in a real
 * cluster). Requests carry a datanode header, peer, interval and 10 region stats. Rows: plain
 * messages on both sides, and zstd on both sides as GreptimeDB sends (the baseline is {@link
 * EchoHeartbeatServer}, which answers in kind as ours does).
 */
public final class HeartbeatBench {
  private static final int CONNECTIONS = 10;

  public static void main(String[] args) throws Exception {
    Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
    int oursPort = FreePorts.next();
    int barePort = FreePorts.next();
    Metasrv node = new Metasrv(new MetasrvNodeInfo("127.0.0.1:" + oursPort, "bench", "bench", 0),
        new MemoryKv(KvLimits.DEFAULT), new StandaloneElection(), () -> true);
    GrpcServer ours = GrpcServer.start(new InetSocketAddress("127.0.0.1", oursPort), node,
        new SimpleMeterRegistry(), Optional.empty());
    node.start();
    Server bare = EchoHeartbeatServer.start(new InetSocketAddress("127.0.0.1", barePort));
    while (!node.isLeader()) {
      Thread.sleep(10);
    }
    List<ManagedChannel> oursChannels = channels(oursPort);
    List<ManagedChannel> bareChannels = channels(barePort);
    try {
      System.out.printf("%d s per side and case (two halves, each after %d ms warm-up);"
              + " request %d B, response %d B%n", measure.toSeconds(),
          Throughput.WARM_UP.toMillis(), request(0).getSerializedSize(),
          HeartbeatResponse.newBuilder().setHeader(ResponseHeaders.ok()).build()
              .getSerializedSize());
      System.out.printf("%-8s %-6s %16s %16s %8s%n", "streams", "codec", "bare rt/s",
          "metasrv rt/s", "ratio");
      // JIT warm-up of both servers on every path before anything is measured.
      for (String compression : new String[] {null, "zstd"}) {
        roundTrips(bareChannels, 1_000, compression, Duration.ofSeconds(1));
        roundTrips(oursChannels, 1_000, compression, Duration.ofSeconds(1));
      }
      for (int streams : new int[] {1, 1_000}) {
        for (String encoding : new String[] {"plain", "zstd"}) {
          Duration half = measure.dividedBy(2);
          String compression = encoding.equals("zstd") ? "zstd" : null;
          double bareRate = roundTrips(bareChannels, streams, compression, half) / 2;
          double oursRate = roundTrips(oursChannels, streams, compression, half) / 2;
          oursRate += roundTrips(oursChannels, streams, compression, half) / 2;
          bareRate += roundTrips(bareChannels, streams, compression, half) / 2;
          System.out.printf("%-8d %-6s %16.0f %16.0f %8.2f%n", streams, encoding, bareRate,
              oursRate, oursRate / bareRate);
        }
      }
    } finally {
      oursChannels.forEach(ManagedChannel::shutdownNow);
      bareChannels.forEach(ManagedChannel::shutdownNow);
      bare.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      node.shutdown();
      ours.close();
    }
  }

  /** Round trips per second over {@code measure} on {@code streams} ping-pong streams. */
  private static double roundTrips(List<ManagedChannel> channels, int streams,
      String compression, Duration measure) throws InterruptedException {
    AtomicLong completed = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long measureFrom = System.nanoTime() + Throughput.WARM_UP.toNanos();
    long end = measureFrom + measure.toNanos();
    CountDownLatch done = new CountDownLatch(streams);
    for (int s = 0; s < streams; s++) {
      HeartbeatGrpc.HeartbeatStub stub = HeartbeatGrpc.newStub(
          channels.get(s % channels.size()));
      if (compression != null) {
        stub = stub.withCompression(compression);
      }
      HeartbeatRequest request = request(s);
      PingPong pingPong = new PingPong(request, completed, failure, measureFrom, end, done);
      pingPong.requests = stub.heartbeat(pingPong);
      pingPong.requests.onNext(request);
    }
    if (!done.await(measure.toMillis() + 60_000, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("streams did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("heartbeat stream failed", failure.get());
    }
    return completed.get() / (measure.toNanos() / 1e9);
  }

  private static final class PingPong implements StreamObserver<HeartbeatResponse> {
    private final HeartbeatRequest request;
    private final AtomicLong completed;
    private final AtomicReference<Throwable> failure;
    private final long measureFrom;
    private final long end;
    private final CountDownLatch done;
    StreamObserver<HeartbeatRequest> requests;

    PingPong(HeartbeatRequest request, AtomicLong completed, AtomicReference<Throwable> failure,
        long measureFrom, long end, CountDownLatch done) {
      this.request = request;
      this.completed = completed;
      this.failure = failure;
      this.measureFrom = measureFrom;
      this.end = end;
      this.done = done;
    }

    @Override
    public void onNext(HeartbeatResponse response) {
      if (response.hasMailboxMessage()) {
        return; // a push (cache invalidation), not the answer to this stream's request
      }
      if (response.getHeader().hasError()) {
        failure.compareAndSet(null, new IllegalStateException(response.getHeader().toString()));
      }
      long now = System.nanoTime();
      if (now >= measureFrom) {
        completed.incrementAndGet();
      }
      if (now < end && failure.get() == null) {
        requests.onNext(request);
      } else {
        requests.onCompleted();
      }
    }

    @Override
    public void onError(Throwable t) {
      failure.compareAndSet(null, t);
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }
  }

  /** A datanode's heartbeat with 10 region stats. */
  private static HeartbeatRequest request(int node) {
    HeartbeatRequest.Builder request = HeartbeatRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setMemberId(node)
            .setRole(Role.DATANODE))
        .setPeer(Peer.newBuilder().setId(node).setAddr("10.0.0." + (node % 250) + ":4001"))
        .setReportInterval(TimeInterval.newBuilder().setStartTimestampMillis(1_700_000_000_000L)
            .setEndTimestampMillis(1_700_000_003_000L))
        .setDurationSinceEpoch(1_700_000_003_000L)
        .setNodeEpoch(1_700_000_000_000L);
    for (int r = 0; r < 10; r++) {
      request.addRegionStats(RegionStat.newBuilder().setRegionId(((long) node << 32) | r)
          .setRcus(100 + r).setWcus(200 + r).setApproximateBytes(1L << 20).setEngine("mito"));
    }
    return request.build();
  }

  private static List<ManagedChannel> channels(int port) {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port)
          .usePlaintext()
          .compressorRegistry(MessageCompression.compressors())
          .decompressorRegistry(MessageCompression.decompressors())
          .build());
    }
    return channels;
  }
}
