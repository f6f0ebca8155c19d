package io.metasrv.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.metasrv.config.DatanodeOptions;
import io.metasrv.ddl.RegionServerException;
import io.metasrv.ddl.RegionServerException.Kind;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.CreateRequest;
import io.metasrv.protocol.region.DropRequest;
import io.metasrv.protocol.region.RegionGrpc;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionRequestHeader;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.region.TruncateRequest;
import io.metasrv.protocol.v1.ResponseHeader;
import io.metasrv.testing.FakeMonotonicClock;
import io.metasrv.testing.FreePorts;
import io.metasrv.testing.RegionFault;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The region client against simulated datanodes serving the Region service on real ports. */
class DatanodeRegionClientTest {
  private static final long REGION = SimulatedDatanode.regionId(1024, 0);
  private static final DatanodeOptions.Client OPTIONS =
      new DatanodeOptions.Client(Duration.ofSeconds(5), Duration.ofSeconds(1), true);

  private final SimulatedNodes nodes =
      new SimulatedNodes(List.of("127.0.0.1:1"), new FakeMonotonicClock());
  private final DatanodeRegionClient client = new DatanodeRegionClient(OPTIONS);

  @AfterEach
  void close() {
    client.close();
    nodes.close();
  }

  @Test
  void aCreateReachesTheDatanodeWithAHeaderAndOpensALeaderRegion() throws Exception {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    RegionRequest create = RegionRequest.newBuilder()
        .setCreate(CreateRequest.newBuilder().setRegionId(REGION).setEngine("mito")
            .setPath("greptime/public"))
        .build();

    RegionResponse response = client.handle(peer(datanode), create).get(10, TimeUnit.SECONDS);

    assertThat(response.getHeader().getStatus().getStatusCode()).isZero();
    assertThat(datanode.regionRequests()).containsExactly(create.toBuilder()
        .setHeader(RegionRequestHeader.getDefaultInstance()).build());
    assertThat(datanode.regionRequests().get(0).hasHeader()).isTrue();
    assertThat(datanode.isWritable(REGION)).isTrue();
    assertThat(datanode.regionRequestEncodings()).containsExactly("zstd");
  }

  @Test
  void aHeaderTheCallerSetIsSentAsItIs() throws Exception {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    RegionRequestHeader header = RegionRequestHeader.newBuilder().setDbname("greptime-public")
        .putTracingContext("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .build();
    client.handle(peer(datanode), create(REGION).toBuilder().setHeader(header).build())
        .get(10, TimeUnit.SECONDS);
    assertThat(datanode.regionRequests().get(0).getHeader()).isEqualTo(header);
  }

  @Test
  void aDropOfAMissingRegionIsRegionNotFound() {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    RegionServerException failure = failure(() -> client.handle(peer(datanode), drop(REGION)));
    assertThat(failure.kind()).isEqualTo(Kind.REGION_NOT_FOUND);
    assertThat(failure.greptimeStatusCode()).isEqualTo(4005);
    assertThat(failure.peer()).isEqualTo(peer(datanode));
    assertThat(Status.fromThrowable(failure.getCause()).getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void anAlterWithAnOldSchemaVersionIsRequestOutdated() throws Exception {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    client.handle(peer(datanode), create(REGION)).get(10, TimeUnit.SECONDS);
    client.handle(peer(datanode), alter(REGION, 0)).get(10, TimeUnit.SECONDS);

    RegionServerException failure =
        failure(() -> client.handle(peer(datanode), alter(REGION, 0)));
    assertThat(failure.kind()).isEqualTo(Kind.REQUEST_OUTDATED);
    assertThat(failure.greptimeStatusCode()).isEqualTo(5001);
    assertThat(client.handle(peer(datanode), alter(REGION, 1)).get(10, TimeUnit.SECONDS)
        .getHeader().getStatus().getStatusCode()).isZero();
  }

  @Test
  void transportFailuresAreRetryable() {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    datanode.failNextRegionRequests(1, RegionFault.unavailable());
    RegionServerException unavailable =
        failure(() -> client.handle(peer(datanode), truncate(REGION)));
    assertThat(unavailable.kind()).isEqualTo(Kind.RETRYABLE);
    assertThat(unavailable.greptimeStatusCode()).as("no x-greptime-err-code: Unknown")
        .isEqualTo(1000);

    datanode.failNextRegionRequests(1, RegionFault.error(1000, "boom"));
    assertThat(failure(() -> client.handle(peer(datanode), truncate(REGION))).kind())
        .as("gRPC UNKNOWN").isEqualTo(Kind.RETRYABLE);
    datanode.failNextRegionRequests(1, RegionFault.error(1005, "cancelled"));
    assertThat(failure(() -> client.handle(peer(datanode), truncate(REGION))).kind())
        .as("gRPC CANCELLED").isEqualTo(Kind.RETRYABLE);
    datanode.failNextRegionRequests(1, RegionFault.error(4008, "region not ready"));
    RegionServerException notReady =
        failure(() -> client.handle(peer(datanode), truncate(REGION)));
    assertThat(notReady.kind()).as("gRPC UNAVAILABLE").isEqualTo(Kind.RETRYABLE);
    assertThat(notReady.greptimeStatusCode()).isEqualTo(4008);
  }

  @Test
  void aHungDatanodeMissesTheConfiguredDeadline() {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    datanode.failRegionRequests(RegionFault.hang());
    try (DatanodeRegionClient impatient = new DatanodeRegionClient(
        new DatanodeOptions.Client(Duration.ofMillis(300), Duration.ofSeconds(1), true))) {
      long start = System.nanoTime();
      RegionServerException failure =
          failure(() -> impatient.handle(peer(datanode), truncate(REGION)));
      assertThat(failure.kind()).isEqualTo(Kind.RETRYABLE);
      assertThat(Status.fromThrowable(failure.getCause()).getCode())
          .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void anUnreachableDatanodeIsRetryable() {
    RegionServerException failure = failure(() -> client.handle(
        new Peer(9, "127.0.0.1:" + FreePorts.next()), truncate(REGION)));
    assertThat(failure.kind()).isEqualTo(Kind.RETRYABLE);
    assertThat(failure.getMessage()).startsWith("datanode 9 (127.0.0.1:").contains("UNAVAILABLE");
  }

  @Test
  void anAddressThatIsNoTargetFailsTheRequestNotTheCaller() {
    RegionServerException failure =
        failure(() -> client.handle(new Peer(9, "dns://[bad"), truncate(REGION)));
    assertThat(failure.kind()).isEqualTo(Kind.FAILED);
    assertThat(failure.getMessage()).contains("no channel to this address");
  }

  @Test
  void otherErrorsFailWithTheDatanodesCodeAndMessage() {
    SimulatedDatanode datanode = nodes.servingDatanode(1);
    datanode.failNextRegionRequests(1, RegionFault.error(1004, "Invalid region option"));
    RegionServerException failure =
        failure(() -> client.handle(peer(datanode), create(REGION)));
    assertThat(failure.kind()).isEqualTo(Kind.FAILED);
    assertThat(failure.greptimeStatusCode()).isEqualTo(1004);
    assertThat(failure.getMessage()).contains("INVALID_ARGUMENT").contains("Invalid region option");
    assertThat(datanode.isOpen(REGION)).as("a failed request is not carried out").isFalse();
  }

  @Test
  void aSuccessReplyWithoutStatusZeroFails() throws Exception {
    RegionResponse[] reply = new RegionResponse[1];
    try (ScriptedDatanode datanode = new ScriptedDatanode((request, answer) -> {
      answer.onNext(reply[0]);
      answer.onCompleted();
    })) {
      reply[0] = RegionResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setStatus(
          io.metasrv.protocol.v1.Status.newBuilder().setStatusCode(4005)
              .setErrMsg("region gone"))).build();
      RegionServerException notFound = failure(() -> client.handle(datanode.peer, drop(REGION)));
      assertThat(notFound.kind()).isEqualTo(Kind.REGION_NOT_FOUND);
      assertThat(notFound.getMessage()).contains("region gone");

      reply[0] = RegionResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setStatus(
          io.metasrv.protocol.v1.Status.newBuilder().setStatusCode(1003)
              .setErrMsg("disk full"))).build();
      RegionServerException internal = failure(() -> client.handle(datanode.peer, drop(REGION)));
      assertThat(internal.kind()).isEqualTo(Kind.FAILED);
      assertThat(internal.greptimeStatusCode()).isEqualTo(1003);

      reply[0] = RegionResponse.newBuilder().setAffectedRows(0).build();
      RegionServerException headerless =
          failure(() -> client.handle(datanode.peer, drop(REGION)));
      assertThat(headerless.kind()).isEqualTo(Kind.FAILED);
      assertThat(headerless.getMessage()).contains("either response header or status is missing");
    }
  }

  /** As GreptimeDB's client: x-greptime-err-msg wins over the status message; a bad code is 1000. */
  @Test
  void theErrorMessageTrailerWinsAndAnUnparsableCodeIsUnknown() throws Exception {
    Metadata trailers = new Metadata();
    trailers.put(FailureStatus.GREPTIME_ERROR_CODE, "not-a-number");
    trailers.put(DatanodeRegionClient.GREPTIME_ERROR_MESSAGE, "the datanode's own words");
    try (ScriptedDatanode datanode = new ScriptedDatanode((request, answer) -> answer.onError(
        Status.INVALID_ARGUMENT.withDescription("generic").asRuntimeException(trailers)))) {
      RegionServerException failure =
          failure(() -> client.handle(datanode.peer, truncate(REGION)));
      assertThat(failure.kind()).isEqualTo(Kind.FAILED);
      assertThat(failure.greptimeStatusCode()).isEqualTo(1000);
      assertThat(failure.getMessage()).contains("the datanode's own words")
          .doesNotContain("generic");
    }
  }

  @Test
  void aDatanodeOnANewAddressGetsANewChannelAndTheOldOneIsClosed() throws Exception {
    SimulatedDatanode first = nodes.servingDatanode(1);
    client.handle(peer(first), create(REGION)).get(10, TimeUnit.SECONDS);
    ManagedChannel old = client.channel(peer(first));
    assertThat(client.channel(peer(first))).as("cached").isSameAs(old);

    first.stop();
    SimulatedDatanode moved = nodes.servingDatanode(1);
    client.handle(peer(moved), create(REGION)).get(10, TimeUnit.SECONDS);

    assertThat(old.isShutdown()).isTrue();
    assertThat(client.channelCount()).isEqualTo(1);
    assertThat(moved.regionRequests()).hasSize(1);
    assertThat(moved.isWritable(REGION)).isTrue();
  }

  @Test
  void closeShutsEveryChannelDown() throws Exception {
    SimulatedDatanode one = nodes.servingDatanode(1);
    SimulatedDatanode two = nodes.servingDatanode(2);
    client.handle(peer(one), create(REGION)).get(10, TimeUnit.SECONDS);
    client.handle(peer(two), create(REGION)).get(10, TimeUnit.SECONDS);
    ManagedChannel toOne = client.channel(peer(one));
    ManagedChannel toTwo = client.channel(peer(two));

    client.close();

    assertThat(toOne.isTerminated()).isTrue();
    assertThat(toTwo.isTerminated()).isTrue();
    assertThatThrownBy(() -> client.handle(peer(one), truncate(REGION)).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  /** A Region service on a free port that answers as the test scripts it. */
  private static final class ScriptedDatanode implements AutoCloseable {
    final Peer peer;
    private final Server server;

    ScriptedDatanode(BiConsumer<RegionRequest, StreamObserver<RegionResponse>> script)
        throws IOException {
      int port = FreePorts.next();
      peer = new Peer(3, "127.0.0.1:" + port);
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .decompressorRegistry(MessageCompression.decompressors())
          .addService(new RegionGrpc.RegionImplBase() {
            @Override
            public void handle(RegionRequest request, StreamObserver<RegionResponse> answer) {
              script.accept(request, answer);
            }
          })
          .build().start();
    }

    @Override
    public void close() throws InterruptedException {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static RegionServerException failure(
      Supplier<CompletableFuture<RegionResponse>> call) {
    try {
      RegionResponse response = call.get().get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + response);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(RegionServerException.class);
      return (RegionServerException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Peer peer(SimulatedDatanode datanode) {
    return new Peer(datanode.nodeId(), datanode.addr());
  }

  private static RegionRequest create(long regionId) {
    return RegionRequest.newBuilder().setCreate(CreateRequest.newBuilder().setRegionId(regionId)
        .setEngine("mito").setPath("greptime/public")).build();
  }

  private static RegionRequest drop(long regionId) {
    return RegionRequest.newBuilder().setDrop(DropRequest.newBuilder().setRegionId(regionId))
        .build();
  }

  private static RegionRequest alter(long regionId, long schemaVersion) {
    return RegionRequest.newBuilder().setAlter(AlterRequest.newBuilder().setRegionId(regionId)
        .setSchemaVersion(schemaVersion)).build();
  }

  private static RegionRequest truncate(long regionId) {
    return RegionRequest.newBuilder().setTruncate(TruncateRequest.newBuilder()
        .setRegionId(regionId)).build();
  }
}
