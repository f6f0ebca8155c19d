package io.metasrv.grpc;

import static io.metasrv.grpc.MetaServicesContractTest.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.Stat;
import io.metasrv.election.StandaloneElection;
import io.metasrv.grpc.MetaServicesContractTest.HeartbeatSession;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.ClusterGrpc;
import io.metasrv.protocol.GrantedRegion;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RegionLease;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * What a broken or hostile node can send the leader's heartbeat service, and what it must not
 * break: after each case a well-behaved datanode (datanode 1, leader of region 1024/1) still gets
 * its region lease on the stream it held all along, and the offending node can start again on a
 * new stream.
 */
class HeartbeatBadInputTest {
  private static final long HEALTHY_REGION = RegionId.of(1024, 1);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private InProcessNode leader;
  private HeartbeatSession healthy;
  private long healthyBeats;

  @BeforeEach
  void startLeaderWithAHealthyDatanode() throws Exception {
    leader = InProcessNode.start(new MemoryKv(KvLimits.DEFAULT), new StandaloneElection(),
        registry);
    leader.awaitLeading(true);
    putRoute(1024, List.of(RegionRoute.led(Region.of(HEALTHY_REGION),
        new io.metasrv.metadata.Peer(1, "10.0.0.1:4001"))));
    healthy = HeartbeatSession.open(leader);
    assertHealthyDatanodeServed();
  }

  @AfterEach
  void stop() {
    healthy.finish();
    leader.close();
  }

  @Test
  void malformedRegionIdsAreDeniedOneByOneAndTheStreamGoesOn() throws Exception {
    long u64Max = -1L;
    long twoTo63 = Long.MIN_VALUE;
    List<Long> malformed = List.of(0L, u64Max, twoTo63, RegionId.of(4097, 1),
        RegionId.of(1024, 99), HEALTHY_REGION /* led by datanode 1, not 2 */);
    HeartbeatRequest.Builder request = datanode(2).setDurationSinceEpoch(u64Max);
    for (long regionId : malformed) {
      request.addRegionStats(RegionStat.newBuilder().setRegionId(regionId).setEngine("mito2"));
    }
    // The same region twice, a role no GreptimeDB knows, statistics that are not JSON.
    request.addRegionStats(RegionStat.newBuilder().setRegionId(0).setRoleValue(7)
        .putExtensions(io.metasrv.cluster.RegionStat.REGION_STATISTIC_KEY,
            ByteString.copyFromUtf8("{not json")));
    HeartbeatSession node = HeartbeatSession.open(leader);

    for (int beat = 0; beat < 2; beat++) {
      node.send(request.build());
      HeartbeatResponse response = node.next();
      assertThat(response.getHeader().hasError()).isFalse();
      RegionLease lease = response.getRegionLease();
      assertThat(lease.getRegionsList()).isEmpty();
      assertThat(lease.getCloseableRegionIdsList()).containsExactlyInAnyOrderElementsOf(malformed);
      assertThat(lease.getDurationSinceEpoch()).as("echoed, unsigned").isEqualTo(u64Max);
      assertHealthyDatanodeServed();
    }
    node.finish();
    assertThat(node.completed.get(10, TimeUnit.SECONDS)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"unknown role first", "unknown role later", "no header first",
      "no header later"})
  void aBadHeaderEndsOnlyThatStream(String fault) throws Exception {
    HeartbeatRequest bad = fault.startsWith("unknown role")
        ? datanode(2).setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setMemberId(2)
            .setRoleValue(9)).build()
        : datanode(2).clearHeader().build();
    HeartbeatSession node = HeartbeatSession.open(leader);
    if (fault.endsWith("later")) {
      node.send(datanode(2).build());
      assertThat(node.next().getHeader().hasError()).isFalse();
    }

    node.send(bad);

    assertThat(closingStatus(node).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(closingStatus(node).getDescription())
        .isIn("invalid role: 9", "missing request header");
    assertHealthyDatanodeServed();
    assertNodeServedAgain(2);
  }

  @Test
  void aHandshakeWithoutPeerIsAnsweredWithAHeaderOnly() throws Exception {
    HeartbeatSession node = HeartbeatSession.open(leader);
    node.send(HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, 2)).build());

    HeartbeatResponse response = node.next();

    assertThat(response.getHeader().hasError()).isFalse();
    assertThat(response.hasRegionLease()).isFalse();
    node.send(datanode(2).build());
    assertThat(node.next().hasRegionLease()).isTrue();
    node.finish();
    assertHealthyDatanodeServed();
  }

  /**
   * A body that is not a heartbeat request, or whose compression is corrupt, ends only the
   * stream that sent it, as a malformed request.
   */
  @ParameterizedTest
  @ValueSource(strings = {"zstd", "identity", "corrupt zstd"})
  void anUnreadableBodyEndsOnlyItsStreamAsAMalformedRequest(String body) throws Exception {
    byte[] request = datanode(2).addRegionStats(RegionStat.newBuilder()
        .setRegionId(RegionId.of(1024, 2)).setEngine("mito2")).build().toByteArray();
    byte[] truncated = Arrays.copyOf(request, request.length - 3);
    boolean corrupt = body.startsWith("corrupt");
    ManagedChannel channel = NettyChannelBuilder.forTarget(leader.addr()).usePlaintext()
        .compressorRegistry(corrupt ? MetaServicesContractTest.sending("zstd", new byte[] {0x28,
            (byte) 0xb5, 0x2f, (byte) 0xfd, 0x20, 0x0a, -1, -1, -1})
            : MessageCompression.compressors())
        .build();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    try {
      ClientCall<byte[], byte[]> call = channel.newCall(
          RawCalls.bidi("greptime.v1.meta.Heartbeat/Heartbeat"),
          CallOptions.DEFAULT.withCompression(corrupt ? "zstd" : body));
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(corrupt ? request : truncated);
      call.halfClose();

      Status status = closed.get(30, TimeUnit.SECONDS);
      assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription()).startsWith("malformed request");
      if (corrupt) {
        assertThat(status.getDescription()).contains("corrupt zstd message");
      }
    } finally {
      channel.shutdownNow();
    }
    assertHealthyDatanodeServed();
    assertNodeServedAgain(2);
  }

  /**
   * A million region stats (about 16 MB of protobuf) exceed the 4 MiB request limit GreptimeDB's
   * metasrv has (tonic's default): refused before any handler sees them, compressed or not.
   */
  @ParameterizedTest
  @ValueSource(strings = {"zstd", "identity"})
  void aStatOfAMillionRegionsIsRefusedAsTooLarge(String compression) throws Exception {
    HeartbeatRequest.Builder huge = datanode(2);
    for (long number = 0; number < 1_000_000; number++) {
      huge.addRegionStats(RegionStat.newBuilder()
          .setRegionId(RegionId.of(1024 + number / 1000, number % 1000)).setEngine("mito2")
          .setApproximateBytes(4096));
    }
    HeartbeatRequest request = huge.build();
    assertThat(request.getSerializedSize()).isGreaterThan(GrpcServer.MAX_REQUEST_BYTES);
    HeartbeatSession node = HeartbeatSession.open(leader, compression);

    node.send(request);

    assertThat(closingStatus(node).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertHealthyDatanodeServed();
    assertNodeServedAgain(2);
  }

  /**
   * The largest datanodes GreptimeDB runs have thousands of regions; their stats must fit in the
   * leader's view however many heartbeats it keeps of them ({@code flush_stats_factor}).
   */
  @Test
  void aLargeLegalStatIsServedAndRecordedWhole() throws Exception {
    int tables = 20;
    int regionsPerTable = 500;
    HeartbeatRequest.Builder large = datanode(3);
    for (long table = 2048; table < 2048 + tables; table++) {
      List<RegionRoute> routes = new ArrayList<>();
      for (long number = 0; number < regionsPerTable; number++) {
        long regionId = RegionId.of(table, number);
        routes.add(RegionRoute.led(Region.of(regionId),
            new io.metasrv.metadata.Peer(3, "10.0.0.3:4001")));
        large.addRegionStats(RegionStat.newBuilder().setRegionId(regionId).setEngine("mito2")
            .setApproximateBytes(1L << 40));
      }
      putRoute(table, routes);
    }
    HeartbeatSession node = HeartbeatSession.open(leader);

    for (int beat = 0; beat < 4; beat++) { // the first stat, then flush_stats_factor (3) more
      node.send(large.build());
      HeartbeatResponse response = node.next();
      assertThat(response.getHeader().hasError()).isFalse();
      assertThat(response.getRegionLease().getRegionsCount()).isEqualTo(tables * regionsPerTable);
      assertThat(response.getRegionLease().getCloseableRegionIdsList()).isEmpty();
    }
    List<Stat> recorded = Stat.decodeAll(ClusterGrpc.newBlockingStub(leader.channel)
        .range(RangeRequest.newBuilder().setHeader(header(Role.DATANODE, 3))
            .setKey(ByteString.copyFrom(ClusterKeys.datanodeStat(3))).build())
        .getKvs(0).getValue().toByteArray());
    assertThat(recorded).hasSize(3)
        .allSatisfy(stat -> assertThat(stat.regionNum()).isEqualTo(tables * regionsPerTable));
    node.finish();
    assertHealthyDatanodeServed();
  }

  /**
   * A node that sends heartbeats but never reads the answers nor the mailbox messages pushed to
   * it: once its stream has fallen behind by a bounded number of messages the leader drops it
   * with one WARN line naming the node, and a send to it fails at once.
   */
  @Test
  void aNodeThatNeverReadsItsStreamIsDroppedWithOneLogLine() throws Exception {
    Logger serviceLog = (Logger) LoggerFactory.getLogger(HeartbeatService.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    serviceLog.addAppender(logs);
    try {
      ClientCall<HeartbeatRequest, HeartbeatResponse> call = leader.channel.newCall(
          HeartbeatGrpc.getHeartbeatMethod(), CallOptions.DEFAULT);
      CompletableFuture<Status> closed = new CompletableFuture<>();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, new Metadata());
      // Never call.request(n): nothing the leader sends on this stream is read.
      call.sendMessage(datanode(5).build());
      await().atMost(Duration.ofSeconds(10)).until(() ->
          leader.metasrv.mailbox().broadcast(Role.DATANODE, MailboxMessage.newBuilder()
              .setSubject("probe").build()) == 2);

      int pushes = 0;
      CompletableFuture<MailboxMessage> last;
      do {
        call.sendMessage(datanode(5).build()); // answered, unread
        last = leader.metasrv.mailbox().send(PusherKey.datanode(5), filler(),
            Duration.ofMinutes(1));
        pushes++;
        assertThat(pushes).as("pushes before the stream is dropped").isLessThan(1_000);
        if (pushes % 10 == 0) {
          assertHealthyDatanodeServed();
        }
      } while (!last.isDone());
      System.out.printf("unread stream dropped after %d mailbox pushes of 16 KiB%n", pushes);

      assertThat(last).isCompletedExceptionally();
      assertThat(leader.metasrv.mailbox().send(PusherKey.datanode(5), filler(),
          Duration.ofMinutes(1))).as("no stream any more: fails at once")
          .isCompletedExceptionally();
      assertThat(logs.list)
          .filteredOn(event -> event.getLevel() == Level.WARN)
          .extracting(ILoggingEvent::getFormattedMessage)
          .singleElement().satisfies(line -> assertThat(line)
              .contains("heartbeat stream of datanode 5 at '10.0.0.5:4001'")
              .contains("not read by its node"));
      assertHealthyDatanodeServed();
      assertNodeServedAgain(5);
      call.cancel("test over", null);
      assertThat(closed.get(10, TimeUnit.SECONDS).isOk()).isFalse();
    } finally {
      serviceLog.detachAppender(logs);
    }
  }

  // ---- helpers

  private static MailboxMessage filler() {
    return MailboxMessage.newBuilder().setSubject("filler").setJson("x".repeat(16 * 1024))
        .build();
  }

  private void putRoute(long tableId, List<RegionRoute> routes) {
    leader.metasrv.kv().put(new TableRouteKey(tableId).toBytes(),
        PhysicalTableRouteValue.of(routes).encode());
  }

  private static HeartbeatRequest.Builder datanode(long id) {
    return HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, id)).setNodeEpoch(1)
        .setPeer(Peer.newBuilder().setId(id).setAddr("10.0.0." + id + ":4001"));
  }

  /** Datanode 1 heartbeats on the stream it opened first and is granted region 1024/1. */
  private void assertHealthyDatanodeServed() throws InterruptedException {
    healthy.send(datanode(1).setDurationSinceEpoch(++healthyBeats)
        .addRegionStats(RegionStat.newBuilder().setRegionId(HEALTHY_REGION).setEngine("mito2"))
        .build());
    HeartbeatResponse response = healthy.next();
    assertThat(response.getHeader().hasError()).isFalse();
    assertThat(response.getRegionLease().getRegionsList()).containsExactly(GrantedRegion
        .newBuilder().setRegionId(HEALTHY_REGION).setRole(RegionRole.Leader).build());
    assertThat(response.getRegionLease().getDurationSinceEpoch()).isEqualTo(healthyBeats);
  }

  /** The node that misbehaved starts a new stream and is answered. */
  private void assertNodeServedAgain(long id) throws InterruptedException {
    HeartbeatSession again = HeartbeatSession.open(leader);
    again.send(datanode(id).build());
    HeartbeatResponse response = again.next();
    assertThat(response.getHeader().hasError()).isFalse();
    assertThat(response.hasRegionLease()).isTrue();
    again.finish();
  }

  private static Status closingStatus(HeartbeatSession session) throws Exception {
    try {
      session.completed.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
      return ((StatusRuntimeException) e.getCause()).getStatus();
    }
    throw new AssertionError("the stream ended without an error");
  }
}
