package io.metasrv.grpc;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ClientStreamTracer;
import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.KvBackend;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.BatchDeleteRequest;
import io.metasrv.protocol.BatchGetRequest;
import io.metasrv.protocol.BatchPutRequest;
import io.metasrv.protocol.BatchPutResponse;
import io.metasrv.protocol.ClusterGrpc;
import io.metasrv.protocol.CompareAndPutRequest;
import io.metasrv.protocol.CompareAndPutResponse;
import io.metasrv.protocol.CreateDatabaseTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DeleteRangeRequest;
import io.metasrv.protocol.DeleteRangeResponse;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.KeyValue;
import io.metasrv.protocol.MetasrvPeersRequest;
import io.metasrv.protocol.MetasrvPeersResponse;
import io.metasrv.protocol.MigrateRegionRequest;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.ProcedureDetailRequest;
import io.metasrv.protocol.ProcedureDetailResponse;
import io.metasrv.protocol.ProcedureId;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.PutResponse;
import io.metasrv.protocol.QueryProcedureRequest;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.StoreGrpc;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Every method of the four {@code greptime.v1.meta} services, called as a GreptimeDB node calls
 * them (zstd on), against a leader and a follower that share one store. Subclasses choose the
 * store.
 */
abstract class MetaServicesContractTest {
  private static final RequestHeader DATANODE_7 = header(Role.DATANODE, 7);

  protected final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ManualElections elections = new ManualElections();
  protected InProcessNode leader;
  protected InProcessNode follower;

  /** A store for one node; every node of a test sees the same data through its own store. */
  protected abstract KvBackend openStore();

  @BeforeEach
  void startTwoNodes() {
    leader = InProcessNode.start(openStore(), elections.member(), registry);
    follower = InProcessNode.start(openStore(), elections.member(), registry);
    elections.elect(leader.addr());
    leader.awaitLeading(true);
  }

  @AfterEach
  void stopNodes() {
    follower.close();
    leader.close();
  }

  // ---- Store

  @Test
  void putHonoursPrevKvOnEveryNode() {
    for (InProcessNode node : List.of(leader, follower)) {
      StoreGrpc.StoreBlockingStub store = store(node);
      ByteString key = utf8("put/" + node.addr());
      PutResponse first = store.put(PutRequest.newBuilder().setHeader(DATANODE_7)
          .setKey(key).setValue(utf8("v1")).setPrevKv(true).build());
      assertThat(first.getHeader().hasError()).isFalse();
      assertThat(first.hasPrevKv()).isFalse();

      PutResponse second = store.put(PutRequest.newBuilder().setKey(key).setValue(utf8("v2"))
          .setPrevKv(true).build());
      assertThat(second.getPrevKv()).isEqualTo(kv("put/" + node.addr(), "v1"));

      PutResponse third = store.put(PutRequest.newBuilder().setKey(key).setValue(utf8("v3"))
          .build());
      assertThat(third.hasPrevKv()).as("prev_kv not asked for").isFalse();
    }
  }

  @Test
  void rangeHonoursRangeEndLimitAndKeysOnly() {
    StoreGrpc.StoreBlockingStub store = store(follower);
    for (String key : List.of("r/a", "r/b", "r/c", "r/d", "s/a")) {
      store.put(PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8("value-" + key)).build());
    }
    RangeResponse prefix = store(leader).range(RangeRequest.newBuilder().setHeader(DATANODE_7)
        .setKey(utf8("r/")).setRangeEnd(ByteString.copyFrom(Bytes.prefixEnd(Bytes.utf8("r/"))))
        .build());
    assertThat(keys(prefix.getKvsList())).containsExactly("r/a", "r/b", "r/c", "r/d");
    assertThat(prefix.getKvs(0).getValue()).isEqualTo(utf8("value-r/a"));
    assertThat(prefix.getMore()).isFalse();

    RangeResponse limited = store.range(RangeRequest.newBuilder().setKey(utf8("r/b"))
        .setRangeEnd(utf8("s/")).setLimit(2).setKeysOnly(true).build());
    assertThat(keys(limited.getKvsList())).containsExactly("r/b", "r/c");
    assertThat(limited.getKvsList()).allMatch(kv -> kv.getValue().isEmpty());
    assertThat(limited.getMore()).isTrue();

    RangeResponse single = store.range(RangeRequest.newBuilder().setKey(utf8("s/a")).build());
    assertThat(single.getKvsList()).containsExactly(kv("s/a", "value-s/a"));
  }

  @Test
  void batchCallsHonourPrevKv() {
    StoreGrpc.StoreBlockingStub store = store(follower);
    BatchPutResponse put = store.batchPut(BatchPutRequest.newBuilder()
        .addKvs(kv("b/1", "one")).addKvs(kv("b/2", "two")).setPrevKv(true).build());
    assertThat(put.getPrevKvsList()).isEmpty();
    BatchPutResponse overwrite = store.batchPut(BatchPutRequest.newBuilder()
        .addKvs(kv("b/1", "uno")).addKvs(kv("b/3", "tres")).setPrevKv(true).build());
    assertThat(overwrite.getPrevKvsList()).containsExactly(kv("b/1", "one"));

    assertThat(store(leader).batchGet(BatchGetRequest.newBuilder().addKeys(utf8("b/3"))
        .addKeys(utf8("b/missing")).addKeys(utf8("b/1")).build()).getKvsList())
        .containsExactly(kv("b/1", "uno"), kv("b/3", "tres"));

    assertThat(store.batchDelete(BatchDeleteRequest.newBuilder().addKeys(utf8("b/1"))
        .addKeys(utf8("b/missing")).setPrevKv(true).build()).getPrevKvsList())
        .containsExactly(kv("b/1", "uno"));
    assertThat(store.batchDelete(BatchDeleteRequest.newBuilder().addKeys(utf8("b/2"))
        .build()).getPrevKvsList()).as("prev_kv not asked for").isEmpty();
    assertThat(store.batchGet(BatchGetRequest.newBuilder().addKeys(utf8("b/1"))
        .addKeys(utf8("b/2")).addKeys(utf8("b/3")).build()).getKvsList())
        .containsExactly(kv("b/3", "tres"));
  }

  @Test
  void compareAndPutTreatsAnEmptyExpectAsAbsent() {
    StoreGrpc.StoreBlockingStub store = store(follower);
    CompareAndPutResponse created = store.compareAndPut(CompareAndPutRequest.newBuilder()
        .setKey(utf8("cas")).setValue(utf8("1")).build());
    assertThat(created.getSuccess()).isTrue();

    CompareAndPutResponse exists = store.compareAndPut(CompareAndPutRequest.newBuilder()
        .setKey(utf8("cas")).setValue(utf8("x")).build());
    assertThat(exists.getSuccess()).isFalse();
    assertThat(exists.getPrevKv()).isEqualTo(kv("cas", "1"));

    CompareAndPutResponse wrong = store.compareAndPut(CompareAndPutRequest.newBuilder()
        .setKey(utf8("cas")).setExpect(utf8("0")).setValue(utf8("2")).build());
    assertThat(wrong.getSuccess()).isFalse();
    assertThat(wrong.getPrevKv()).isEqualTo(kv("cas", "1"));

    CompareAndPutResponse right = store(leader).compareAndPut(CompareAndPutRequest.newBuilder()
        .setKey(utf8("cas")).setExpect(utf8("1")).setValue(utf8("2")).build());
    assertThat(right.getSuccess()).isTrue();
    assertThat(store.range(RangeRequest.newBuilder().setKey(utf8("cas")).build()).getKvsList())
        .containsExactly(kv("cas", "2"));
  }

  @Test
  void deleteRangeCountsAndHonoursPrevKv() {
    StoreGrpc.StoreBlockingStub store = store(follower);
    for (String key : List.of("d/1", "d/2", "d/3", "e/1")) {
      store.put(PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8(key)).build());
    }
    DeleteRangeResponse deleted = store.deleteRange(DeleteRangeRequest.newBuilder()
        .setKey(utf8("d/1")).setRangeEnd(utf8("d/3")).setPrevKv(true).build());
    assertThat(deleted.getDeleted()).isEqualTo(2);
    assertThat(deleted.getPrevKvsList()).containsExactly(kv("d/1", "d/1"), kv("d/2", "d/2"));

    DeleteRangeResponse rest = store.deleteRange(DeleteRangeRequest.newBuilder()
        .setKey(utf8("d/")).setRangeEnd(ByteString.copyFrom(Bytes.prefixEnd(Bytes.utf8("d/"))))
        .build());
    assertThat(rest.getDeleted()).isEqualTo(1);
    assertThat(rest.getPrevKvsList()).isEmpty();
    assertThat(keys(store.range(RangeRequest.newBuilder().setKey(utf8("d/"))
        .setRangeEnd(utf8("f/")).build()).getKvsList())).containsExactly("e/1");
  }

  @Test
  void answersInTheEncodingTheClientSent() {
    for (String encoding : List.of("zstd", "gzip")) {
      AtomicReference<Metadata> headers = new AtomicReference<>();
      StoreGrpc.StoreBlockingStub store = StoreGrpc.newBlockingStub(ClientInterceptors.intercept(
              leader.channel, MetadataUtils.newCaptureMetadataInterceptor(headers,
                  new AtomicReference<>())))
          .withCompression(encoding);
      byte[] value = new byte[64 * 1024];
      Arrays.fill(value, (byte) 'z');
      store.put(PutRequest.newBuilder().setKey(utf8("enc/" + encoding))
          .setValue(ByteString.copyFrom(value)).build());
      RangeResponse read = store.range(RangeRequest.newBuilder()
          .setKey(utf8("enc/" + encoding)).build());
      assertThat(read.getKvs(0).getValue().toByteArray()).isEqualTo(value);
      assertThat(headers.get().get(Metadata.Key.of("grpc-encoding",
          Metadata.ASCII_STRING_MARSHALLER))).isEqualTo(encoding);
    }
  }

  @Test
  void smallAnswersGoUncompressedAndLargeOnesCompressed() {
    byte[] value = new byte[64 * 1024];
    Arrays.fill(value, (byte) 'z');
    store(leader).put(PutRequest.newBuilder().setKey(utf8("wire/large"))
        .setValue(ByteString.copyFrom(value)).build());
    for (String encoding : List.of("zstd", "gzip")) {
      InboundSizes small = new InboundSizes();
      HeartbeatGrpc.newBlockingStub(ClientInterceptors.intercept(leader.channel, small))
          .withCompression(encoding)
          .askLeader(AskLeaderRequest.newBuilder().setHeader(DATANODE_7).build());
      assertThat(small.wire.get()).as(encoding + ": AskLeader answer on the wire").isPositive()
          .isEqualTo(small.uncompressed.get());

      InboundSizes large = new InboundSizes();
      StoreGrpc.newBlockingStub(ClientInterceptors.intercept(leader.channel, large))
          .withCompression(encoding)
          .range(RangeRequest.newBuilder().setKey(utf8("wire/large")).build());
      assertThat(large.wire.get()).as(encoding + ": 64 KiB range answer on the wire")
          .isLessThan(large.uncompressed.get() / 10);
    }
  }

  @Test
  void corruptCompressedBodiesAreInvalidArguments() {
    byte[] put = PutRequest.newBuilder().setKey(utf8("corrupt")).setValue(utf8("v")).build()
        .toByteArray();
    // zstd's magic and a header that promises 10 bytes, then a reserved block type; not gzip.
    Map<String, byte[]> corrupt = Map.of(
        "zstd", new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0x20, 0x0a, -1, -1, -1},
        "gzip", Bytes.utf8("not gzip at all"));
    for (Map.Entry<String, byte[]> body : corrupt.entrySet()) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(leader.addr()).usePlaintext()
          .compressorRegistry(sending(body.getKey(), body.getValue()))
          .build();
      try {
        StatusRuntimeException refused = failure(() -> ClientCalls.blockingUnaryCall(channel,
            RawCalls.unary("greptime.v1.meta.Store/Put"),
            CallOptions.DEFAULT.withCompression(body.getKey()), put));
        assertThat(refused.getStatus().getCode()).as(body.getKey())
            .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getStatus().getDescription()).as(body.getKey())
            .startsWith("malformed request").contains("corrupt " + body.getKey() + " message");
      } finally {
        channel.shutdownNow();
      }
    }
    assertThat(store(leader).range(RangeRequest.newBuilder().setKey(utf8("corrupt")).build())
        .getKvsList()).isEmpty();
    assertStillServing();
  }

  /** A compressor registry whose {@code encoding} writes {@code frame} whatever the message. */
  static CompressorRegistry sending(String encoding, byte[] frame) {
    CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
    registry.register(new Codec() {
      @Override
      public String getMessageEncoding() {
        return encoding;
      }

      @Override
      public OutputStream compress(OutputStream os) {
        return new FilterOutputStream(os) {
          @Override
          public void write(int b) {}

          @Override
          public void write(byte[] b, int off, int len) {}

          @Override
          public void close() throws IOException {
            out.write(frame);
            out.close();
          }
        };
      }

      @Override
      public InputStream decompress(InputStream is) {
        return is;
      }
    });
    return registry;
  }

  /** Counts the bytes of a call's answers as they arrived and once decompressed. */
  private static final class InboundSizes implements ClientInterceptor {
    final AtomicLong wire = new AtomicLong();
    final AtomicLong uncompressed = new AtomicLong();

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
        CallOptions options, Channel next) {
      return next.newCall(method, options.withStreamTracerFactory(
          new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info,
                Metadata headers) {
              return new ClientStreamTracer() {
                @Override
                public void inboundWireSize(long bytes) {
                  wire.addAndGet(bytes);
                }

                @Override
                public void inboundUncompressedSize(long bytes) {
                  uncompressed.addAndGet(bytes);
                }
              };
            }
          }));
    }
  }

  // ---- leadership

  @Test
  void everyNodeAnswersAskLeaderWithTheLeader() {
    for (InProcessNode node : List.of(leader, follower)) {
      var answer = HeartbeatGrpc.newBlockingStub(node.channel).withCompression("zstd")
          .askLeader(AskLeaderRequest.newBuilder().setHeader(DATANODE_7).build());
      assertThat(answer.getHeader().hasError()).isFalse();
      assertThat(answer.getLeader()).isEqualTo(Peer.newBuilder().setAddr(leader.addr()).build());
    }
  }

  @Test
  void askLeaderWithoutALeaderIsUnavailable() {
    leader.metasrv.election().resign();
    leader.awaitLeading(false);
    StatusRuntimeException noLeader = failure(() -> HeartbeatGrpc.newBlockingStub(
        follower.channel).askLeader(AskLeaderRequest.newBuilder().setHeader(DATANODE_7).build()));
    assertThat(noLeader.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(greptimeCode(noLeader)).isEqualTo("1006");
  }

  @Test
  void askLeaderFollowsAnElection() {
    elections.elect(follower.addr());
    follower.awaitLeading(true);
    leader.awaitLeading(false);
    var answer = HeartbeatGrpc.newBlockingStub(leader.channel)
        .askLeader(AskLeaderRequest.newBuilder().setHeader(DATANODE_7).build());
    assertThat(answer.getLeader().getAddr()).isEqualTo(follower.addr());
    assertThat(clusterRange(follower).getHeader().hasError()).isFalse();
    assertThat(clusterRange(leader).getHeader().getError().getCode())
        .isEqualTo(ResponseHeaders.NOT_LEADER);
  }

  @Test
  void followerLeavesWritesOfKeysTheLeaderCachesToTheLeader() {
    ByteString route = utf8("__table_route/4096");
    StoreGrpc.StoreBlockingStub followerStore = store(follower);
    List<Runnable> refused = List.of(
        () -> followerStore.put(PutRequest.newBuilder().setKey(route).setValue(utf8("x"))
            .build()),
        () -> followerStore.batchPut(BatchPutRequest.newBuilder().addKvs(kv("plain", "1"))
            .addKvs(kv("__node_address/0/7", "{}")).build()),
        () -> followerStore.batchDelete(BatchDeleteRequest.newBuilder().addKeys(route).build()),
        () -> followerStore.compareAndPut(CompareAndPutRequest.newBuilder().setKey(route)
            .setValue(utf8("x")).build()),
        () -> followerStore.deleteRange(DeleteRangeRequest.newBuilder().setKey(utf8("__t"))
            .setRangeEnd(utf8("__u")).build()),
        () -> followerStore.deleteRange(DeleteRangeRequest.newBuilder().setKey(utf8("\0"))
            .setRangeEnd(utf8("\0")).build()));
    for (Runnable write : refused) {
      assertThatThrownBy(write::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).contains(leader.addr());
      });
    }
    assertThat(store(leader).range(RangeRequest.newBuilder().setKey(utf8("plain")).build())
        .getKvsList()).as("a refused batch writes nothing").isEmpty();

    followerStore.put(PutRequest.newBuilder().setKey(utf8("__table_info/4096"))
        .setValue(utf8("ok")).build());
    followerStore.deleteRange(DeleteRangeRequest.newBuilder().setKey(utf8("a"))
        .setRangeEnd(utf8("b")).build());
    store(leader).put(PutRequest.newBuilder().setKey(route).setValue(utf8("v1")).build());
    assertThat(followerStore.range(RangeRequest.newBuilder().setKey(route).build())
        .getKvsList()).as("followers read every key").containsExactly(kv("__table_route/4096",
            "v1"));
  }

  @Test
  void followerAnswersNotLeaderToClusterAndProcedureCalls() {
    ClusterGrpc.ClusterBlockingStub cluster = ClusterGrpc.newBlockingStub(follower.channel)
        .withCompression("zstd");
    ProcedureServiceGrpc.ProcedureServiceBlockingStub procedures =
        ProcedureServiceGrpc.newBlockingStub(follower.channel).withCompression("zstd");
    List<io.metasrv.protocol.ResponseHeader> headers = List.of(
        cluster.range(RangeRequest.newBuilder().setHeader(DATANODE_7).setKey(utf8("a")).build())
            .getHeader(),
        cluster.batchGet(BatchGetRequest.newBuilder().setHeader(DATANODE_7).build()).getHeader(),
        cluster.metasrvPeers(MetasrvPeersRequest.newBuilder().setHeader(DATANODE_7).build())
            .getHeader(),
        procedures.query(QueryProcedureRequest.newBuilder().setHeader(DATANODE_7).build())
            .getHeader(),
        procedures.ddl(DdlTaskRequest.newBuilder().setHeader(DATANODE_7).build()).getHeader(),
        procedures.migrate(MigrateRegionRequest.newBuilder().setHeader(DATANODE_7).build())
            .getHeader(),
        procedures.details(ProcedureDetailRequest.newBuilder().setHeader(DATANODE_7).build())
            .getHeader());
    assertThat(headers).allSatisfy(header -> {
      assertThat(header.getProtocolVersion()).isEqualTo(1);
      assertThat(header.getError().getCode()).isEqualTo(2);
      assertThat(header.getError().getErrMsg()).isEqualTo("Current server is not leader");
    });
  }

  @Test
  void leaderServesClusterReadsFromItsInMemoryView() {
    leader.metasrv.inMemoryView().put(Bytes.utf8("__meta_datanode_lease-0-7"),
        Bytes.utf8("{\"node_addr\":\"10.0.0.7:4001\"}"));
    leader.metasrv.inMemoryView().put(Bytes.utf8("__meta_datanode_lease-0-8"),
        Bytes.utf8("{}"));
    ClusterGrpc.ClusterBlockingStub cluster = ClusterGrpc.newBlockingStub(leader.channel)
        .withCompression("zstd");
    RangeResponse leases = cluster.range(RangeRequest.newBuilder().setHeader(DATANODE_7)
        .setKey(utf8("__meta_datanode_lease-")).setRangeEnd(utf8("__meta_datanode_lease."))
        .setLimit(1).build());
    assertThat(leases.getHeader().hasError()).isFalse();
    assertThat(leases.getKvsList())
        .containsExactly(kv("__meta_datanode_lease-0-7", "{\"node_addr\":\"10.0.0.7:4001\"}"));
    assertThat(leases.getMore()).isTrue();
    assertThat(keys(cluster.batchGet(BatchGetRequest.newBuilder().setHeader(DATANODE_7)
        .addKeys(utf8("__meta_datanode_lease-0-8")).build()).getKvsList()))
        .containsExactly("__meta_datanode_lease-0-8");
    assertThat(store(leader).range(RangeRequest.newBuilder()
        .setKey(utf8("__meta_datanode_lease-0-7")).build()).getKvsList())
        .as("the view is not the store").isEmpty();
  }

  @Test
  void inMemoryViewStartsEmptyOnEveryElection() {
    leader.metasrv.inMemoryView().put(Bytes.utf8("stat"), Bytes.utf8("old"));
    elections.elect(follower.addr());
    follower.awaitLeading(true);
    elections.elect(leader.addr());
    leader.awaitLeading(true);
    assertThat(clusterRange(leader).getKvsList()).isEmpty();
  }

  @Test
  void metasrvPeersListsTheLeaderAndTheFollowers() {
    MetasrvPeersResponse peers = ClusterGrpc.newBlockingStub(leader.channel)
        .metasrvPeers(MetasrvPeersRequest.newBuilder().setHeader(DATANODE_7).build());
    assertThat(peers.getHeader().hasError()).isFalse();
    assertThat(peers.getLeader().getPeer().getAddr()).isEqualTo(leader.addr());
    assertThat(peers.getLeader().getVersion()).isEqualTo("0.1.0-test");
    assertThat(peers.getLeader().getGitCommit()).isEqualTo("abcdef0123");
    assertThat(peers.getLeader().getStartTimeMs()).isEqualTo(42);
    assertThat(peers.getFollowersList()).extracting(node -> node.getPeer().getAddr())
        .containsExactly(follower.addr());
  }

  // ---- Heartbeat

  @Test
  void leaderAnswersEveryHeartbeatOnceAndInOrder() throws Exception {
    HeartbeatSession session = HeartbeatSession.open(leader);
    for (int i = 0; i < 200; i++) {
      session.send(heartbeat(DATANODE_7, i));
    }
    for (int i = 0; i < 200; i++) {
      HeartbeatResponse response = session.next();
      assertThat(response.getHeader().getProtocolVersion()).isEqualTo(1);
      assertThat(response.getHeader().hasError()).isFalse();
    }
    session.finish();
    assertThat(session.completed.get(5, TimeUnit.SECONDS)).isNull();
    assertThat(session.responses).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "unknown role", "protocol version", "another node"})
  void aBadHeaderEndsTheStreamWithInvalidArgument(String fault) throws Exception {
    HeartbeatSession session = HeartbeatSession.open(leader);
    session.send(heartbeat(DATANODE_7, 1));
    assertThat(session.next().getHeader().hasError()).isFalse();
    HeartbeatRequest bad = switch (fault) {
      case "missing" -> HeartbeatRequest.newBuilder().setNodeEpoch(1).build();
      case "unknown role" -> heartbeat(RequestHeader.newBuilder().setProtocolVersion(1)
          .setMemberId(7).setRoleValue(9).build(), 1);
      case "protocol version" ->
          heartbeat(header(Role.DATANODE, 7).toBuilder().setProtocolVersion(2).build(), 1);
      default -> heartbeat(header(Role.DATANODE, 8), 1);
    };
    session.send(bad);
    assertThatThrownBy(() -> session.completed.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .satisfies(e -> {
          Status status = ((StatusRuntimeException) e.getCause()).getStatus();
          assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(status.getDescription()).containsAnyOf("missing request header",
              "invalid role: 9", "protocol version 2", "this stream belongs to DATANODE 7");
        });

    HeartbeatSession again = HeartbeatSession.open(leader);
    again.send(heartbeat(DATANODE_7, 2));
    assertThat(again.next().getHeader().hasError()).as("the node reconnects").isFalse();
    again.finish();
  }

  @Test
  void followerAnswersNotLeaderAndClosesTheStream() throws Exception {
    HeartbeatSession session = HeartbeatSession.open(follower);
    session.send(heartbeat(DATANODE_7, 1));
    HeartbeatResponse response = session.next();
    assertThat(response.getHeader().getError().getCode()).isEqualTo(2);
    assertThat(session.completed.get(5, TimeUnit.SECONDS)).as("closed by the server").isNull();
    assertThat(session.responses).isEmpty();
  }

  @Test
  void aLeaderThatStepsDownAnswersNotLeaderOnOpenStreams() throws Exception {
    HeartbeatSession session = HeartbeatSession.open(leader);
    session.send(heartbeat(DATANODE_7, 1));
    assertThat(session.next().getHeader().hasError()).isFalse();
    elections.elect(follower.addr());
    leader.awaitLeading(false);
    session.send(heartbeat(DATANODE_7, 2));
    assertThat(session.next().getHeader().getError().getCode()).isEqualTo(2);
    assertThat(session.completed.get(5, TimeUnit.SECONDS)).isNull();
  }

  // ---- Procedure

  @Test
  void leaderRefusesDdlAsNotSupportedYetUnderBothServiceNames() {
    ProcedureServiceGrpc.ProcedureServiceBlockingStub procedures =
        ProcedureServiceGrpc.newBlockingStub(leader.channel).withCompression("zstd");
    List<ThrowingCallable> calls = List.of(
        () -> procedures.ddl(DdlTaskRequest.newBuilder().setHeader(DATANODE_7)
            .setCreateDatabaseTask(CreateDatabaseTask.getDefaultInstance()).build()),
        () -> RawCalls.call(leader.channel, GrpcServer.LEGACY_PROCEDURE_SERVICE + "/ddl",
            DdlTaskRequest.newBuilder().setHeader(DATANODE_7).build().toByteArray()));
    for (ThrowingCallable call : calls) {
      StatusRuntimeException refused = failure(call);
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
      assertThat(refused.getStatus().getDescription()).contains("not supported yet");
      assertThat(greptimeCode(refused)).isEqualTo("1001");
    }
  }

  @Test
  void leaderAnswersProcedureQueriesAndRefusesBadOnesWithGreptimeDbsCodes() {
    ProcedureServiceGrpc.ProcedureServiceBlockingStub procedures =
        ProcedureServiceGrpc.newBlockingStub(leader.channel).withCompression("zstd");
    ProcedureDetailResponse details = procedures.details(
        ProcedureDetailRequest.newBuilder().setHeader(DATANODE_7).build());
    assertThat(details.hasHeader()).as("GreptimeDB leaves the header unset").isFalse();
    assertThat(details.getProceduresList()).isEmpty();

    StatusRuntimeException malformed = failure(() -> procedures.query(
        QueryProcedureRequest.newBuilder().setHeader(DATANODE_7)
            .setPid(ProcedureId.newBuilder().setKey(utf8("pid"))).build()));
    assertThat(malformed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    StatusRuntimeException unknown = failure(() -> procedures.query(
        QueryProcedureRequest.newBuilder().setHeader(DATANODE_7).setPid(ProcedureId.newBuilder()
            .setKey(utf8("9f805a1f-05f7-490c-9f91-bd56e3cc54c1"))).build()));
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknown.getStatus().getDescription()).contains("Procedure not found");
    assertThat(greptimeCode(unknown)).isEqualTo("1004");

    StatusRuntimeException noPeer = failure(() -> procedures.migrate(
        MigrateRegionRequest.newBuilder().setHeader(DATANODE_7).setRegionId(1).setFromPeer(7)
            .setToPeer(8).setTimeoutSecs(10).build()));
    assertThat(noPeer.getStatus().getDescription())
        .isEqualTo("The target peer is unavailable temporally: 7");
    assertThat(greptimeCode(noPeer)).isEqualTo("1002");
    assertThat(failure(() -> procedures.details(ProcedureDetailRequest.getDefaultInstance()))
        .getStatus().getCode()).as("missing header").isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void legacyProcedureServiceNameAnswersNotLeaderOnFollowers() throws Exception {
    byte[] answer = RawCalls.call(follower.channel,
        GrpcServer.LEGACY_PROCEDURE_SERVICE + "/query",
        QueryProcedureRequest.newBuilder().setHeader(DATANODE_7).build().toByteArray());
    assertThat(io.metasrv.protocol.ProcedureStateResponse.parseFrom(answer).getHeader()
        .getError().getCode()).isEqualTo(2);
  }

  // ---- bad input

  @Test
  void emptyKeysAndNegativeLimitsAreInvalidArguments() {
    StoreGrpc.StoreBlockingStub store = store(follower);
    for (ThrowingCallable call : List.<ThrowingCallable>of(
        () -> store.put(PutRequest.newBuilder().setValue(utf8("v")).build()),
        () -> store.range(RangeRequest.getDefaultInstance()),
        () -> store.batchPut(BatchPutRequest.newBuilder().addKvs(kv("", "v")).build()),
        () -> store.batchPut(BatchPutRequest.newBuilder().addKvs(kv("k", "1"))
            .addKvs(kv("k", "2")).build()),
        () -> store.range(RangeRequest.newBuilder().setKey(utf8("k")).setLimit(-1).build()))) {
      StatusRuntimeException refused = failure(call);
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(greptimeCode(refused)).isEqualTo("1004");
    }
    assertStillServing();
  }

  @Test
  void oversizedValuesAndRequestsAreRefused() {
    StoreGrpc.StoreBlockingStub store = store(follower);
    byte[] tooLargeValue = new byte[1500 * 1024 + 1];
    StatusRuntimeException valueTooLarge = failure(() -> store.put(PutRequest.newBuilder()
        .setKey(utf8("big")).setValue(ByteString.copyFrom(tooLargeValue)).build()));
    assertThat(valueTooLarge.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(valueTooLarge.getStatus().getDescription()).contains("max_metadata_value_size");

    // Uncompressed, so that the body on the wire is as large as the key.
    byte[] hugeKey = new byte[GrpcServer.MAX_REQUEST_BYTES + 1];
    Arrays.fill(hugeKey, (byte) 'k');
    StatusRuntimeException requestTooLarge = failure(() -> StoreGrpc.newBlockingStub(
        follower.channel).put(PutRequest.newBuilder().setKey(ByteString.copyFrom(hugeKey))
        .setValue(utf8("v")).build()));
    assertThat(requestTooLarge.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertStillServing();
  }

  @Test
  void unparsableBodiesAreInvalidArguments() {
    // Field 2 (key) announces 127 bytes and ends after none.
    byte[] truncated = {0x12, 0x7f};
    for (String method : List.of("greptime.v1.meta.Store/Put", "greptime.v1.meta.Store/Range",
        "greptime.v1.meta.Cluster/MetasrvPeers", "greptime.v1.meta.Heartbeat/AskLeader",
        "greptime.v1.meta.ProcedureService/query")) {
      StatusRuntimeException refused = failure(() -> RawCalls.call(leader.channel, method,
          truncated));
      assertThat(refused.getStatus().getCode()).as(method)
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(refused.getStatus().getDescription()).startsWith("malformed request");
    }
    assertStillServing();
  }

  @Test
  void randomBytesNeverBreakTheServer() {
    Random random = new Random(20260125);
    List<String> methods = List.of("Range", "Put", "BatchGet", "BatchPut", "BatchDelete",
        "CompareAndPut", "DeleteRange");
    for (int i = 0; i < 300; i++) {
      byte[] body = new byte[random.nextInt(64)];
      random.nextBytes(body);
      String method = "greptime.v1.meta.Store/" + methods.get(i % methods.size());
      try {
        RawCalls.call(follower.channel, method, body);
      } catch (StatusRuntimeException refused) {
        assertThat(refused.getStatus().getCode()).as(method + " with random bytes")
            .isIn(Status.Code.INVALID_ARGUMENT);
      }
    }
    assertStillServing();
  }

  // ---- health, metrics

  private static final List<String> LEADER_ONLY_SERVICES = List.of("greptime.v1.meta.Heartbeat",
      "greptime.v1.meta.Cluster", "greptime.v1.meta.ProcedureService",
      "greptime.v1.meta.Procedure");

  @Test
  void healthReportsLeaderOnlyServicesServingOnlyOnTheLeader() {
    for (String service : List.of("", "greptime.v1.meta.Store", "greptime.v1.meta.Heartbeat",
        "greptime.v1.meta.Cluster", "greptime.v1.meta.ProcedureService",
        "greptime.v1.meta.Procedure")) {
      assertThat(health(leader, service)).as("leader: " + service)
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
    assertThat(health(follower, "")).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(health(follower, "greptime.v1.meta.Store"))
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    for (String service : LEADER_ONLY_SERVICES) {
      assertThat(health(follower, service)).as("follower: " + service)
          .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
    }
  }

  @Test
  void healthFollowsAnElection() {
    elections.elect(follower.addr());
    follower.awaitLeading(true);
    leader.awaitLeading(false);
    for (String service : LEADER_ONLY_SERVICES) {
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(health(follower, service)).as("new leader: " + service)
            .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(health(leader, service)).as("old leader: " + service)
            .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
      });
    }
    assertThat(health(leader, "")).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(health(leader, "greptime.v1.meta.Store"))
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void healthIsNotServingOnceTheNodeStops() {
    leader.metasrv.shutdown();
    for (String service : List.of("", "greptime.v1.meta.Store", "greptime.v1.meta.Heartbeat",
        "greptime.v1.meta.Procedure")) {
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(health(leader, service)).as(service)
              .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING));
    }
    assertThat(health(follower, "")).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  static HealthCheckResponse.ServingStatus health(InProcessNode node, String service) {
    return HealthGrpc.newBlockingStub(node.channel)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  @Test
  void requestsAreCountedAndTimedByMethodAndStatus() {
    StoreGrpc.StoreBlockingStub store = store(leader);
    store.put(PutRequest.newBuilder().setKey(utf8("m")).setValue(utf8("v")).build());
    store.put(PutRequest.newBuilder().setKey(utf8("m")).setValue(utf8("v")).build());
    failure(() -> store.put(PutRequest.getDefaultInstance()));
    Timer ok = registry.find(RequestMetricsInterceptor.METER)
        .tags("method", "greptime.v1.meta.Store/Put", "status", "OK").timer();
    Timer invalid = registry.find(RequestMetricsInterceptor.METER)
        .tags("method", "greptime.v1.meta.Store/Put", "status", "INVALID_ARGUMENT").timer();
    assertThat(ok).isNotNull();
    assertThat(ok.count()).isEqualTo(2);
    assertThat(ok.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    assertThat(invalid).isNotNull();
    assertThat(invalid.count()).isEqualTo(1);
  }

  // ---- helpers

  private void assertStillServing() {
    for (InProcessNode node : List.of(leader, follower)) {
      store(node).put(PutRequest.newBuilder().setKey(utf8("alive")).setValue(utf8("yes"))
          .build());
      assertThat(store(node).range(RangeRequest.newBuilder().setKey(utf8("alive")).build())
          .getKvsList()).containsExactly(kv("alive", "yes"));
    }
  }

  private static RangeResponse clusterRange(InProcessNode node) {
    return ClusterGrpc.newBlockingStub(node.channel).range(RangeRequest.newBuilder()
        .setHeader(DATANODE_7).setKey(ByteString.copyFrom(Bytes.ZERO))
        .setRangeEnd(ByteString.copyFrom(Bytes.ZERO)).build());
  }

  private static StoreGrpc.StoreBlockingStub store(InProcessNode node) {
    return StoreGrpc.newBlockingStub(node.channel).withCompression("zstd")
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static StatusRuntimeException failure(ThrowingCallable call) {
    StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(failure).as("the call should have failed").isNotNull();
    return failure;
  }

  static String greptimeCode(StatusRuntimeException failure) {
    return failure.getTrailers().get(FailureStatus.GREPTIME_ERROR_CODE);
  }

  static RequestHeader header(Role role, long memberId) {
    return RequestHeader.newBuilder().setProtocolVersion(1).setMemberId(memberId).setRole(role)
        .build();
  }

  private static HeartbeatRequest heartbeat(RequestHeader header, long epoch) {
    return HeartbeatRequest.newBuilder().setHeader(header).setNodeEpoch(epoch)
        .setPeer(Peer.newBuilder().setId(header.getMemberId()).setAddr("10.0.0.7:4001"))
        .build();
  }

  static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(utf8(key)).setValue(utf8(value)).build();
  }

  private static List<String> keys(List<KeyValue> kvs) {
    List<String> keys = new ArrayList<>();
    kvs.forEach(kv -> keys.add(kv.getKey().toStringUtf8()));
    return keys;
  }

  /**
   * One heartbeat stream seen from the node's side: the answers to its requests, and apart from
   * them the mailbox messages the leader pushed.
   */
  static final class HeartbeatSession implements StreamObserver<HeartbeatResponse> {
    final LinkedBlockingQueue<HeartbeatResponse> responses = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<HeartbeatResponse> pushes = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> completed = new CompletableFuture<>();
    private StreamObserver<HeartbeatRequest> requests;

    static HeartbeatSession open(InProcessNode node) {
      return open(node, "zstd");
    }

    /** A stream whose requests go with {@code compression} ("identity" for none). */
    static HeartbeatSession open(InProcessNode node, String compression) {
      HeartbeatSession session = new HeartbeatSession();
      session.requests = HeartbeatGrpc.newStub(node.channel).withCompression(compression)
          .heartbeat(session);
      return session;
    }

    void send(HeartbeatRequest request) {
      requests.onNext(request);
    }

    HeartbeatResponse next() throws InterruptedException {
      HeartbeatResponse response = responses.poll(10, TimeUnit.SECONDS);
      assertThat(response).as("a heartbeat response within 10 s").isNotNull();
      return response;
    }

    void finish() {
      requests.onCompleted();
    }

    @Override
    public void onNext(HeartbeatResponse response) {
      (response.hasMailboxMessage() ? pushes : responses).add(response);
    }

    @Override
    public void onError(Throwable t) {
      completed.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      completed.complete(null);
    }
  }
}
