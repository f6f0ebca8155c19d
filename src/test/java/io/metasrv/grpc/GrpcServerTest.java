package io.metasrv.grpc;

import static io.metasrv.grpc.MetaServicesContractTest.failure;
import static io.metasrv.grpc.MetaServicesContractTest.header;
import static io.metasrv.grpc.MetaServicesContractTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.DescriptorProtos;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.metasrv.election.StandaloneElection;
import io.metasrv.grpc.MetaServicesContractTest.HeartbeatSession;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandler;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.StoreGrpc;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.MemoryKv;
import io.metasrv.testing.TestCertificates;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The server around the services: reflection, TLS, handler failures, cancelled calls. */
class GrpcServerTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void reflectionListsAndDescribesTheMetaServicesAndTheProcedureAlias() throws Exception {
    try (InProcessNode node = standalone()) {
      BlockingQueue<ServerReflectionResponse> answers = new LinkedBlockingQueue<>();
      StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc
          .newStub(node.channel).serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse response) {
              answers.add(response);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      List<String> services = answers.poll(10, TimeUnit.SECONDS).getListServicesResponse()
          .getServiceList().stream().map(ServiceResponse::getName).toList();
      assertThat(services).contains("greptime.v1.meta.Heartbeat", "greptime.v1.meta.Store",
          "greptime.v1.meta.Cluster", "greptime.v1.meta.ProcedureService",
          "greptime.v1.meta.Procedure", "grpc.health.v1.Health");

      requests.onNext(ServerReflectionRequest.newBuilder()
          .setFileContainingSymbol("greptime.v1.meta.Procedure").build());
      ServerReflectionResponse described = answers.poll(10, TimeUnit.SECONDS);
      assertThat(described.hasErrorResponse()).as(described.toString()).isFalse();
      DescriptorProtos.FileDescriptorProto file = DescriptorProtos.FileDescriptorProto.parseFrom(
          described.getFileDescriptorResponse().getFileDescriptorProto(0));
      assertThat(file.getServiceList())
          .filteredOn(service -> service.getName().equals("Procedure"))
          .singleElement()
          .satisfies(service -> assertThat(service.getMethodList())
              .extracting(DescriptorProtos.MethodDescriptorProto::getName)
              .containsExactly("query", "ddl", "migrate", "details"));
      requests.onCompleted();
    }
  }

  @Test
  void healthIsNotServingWhileTheStoreIsUnreachable() {
    AtomicBoolean reachable = new AtomicBoolean(true);
    try (InProcessNode node = InProcessNode.start(new MemoryKv(KvLimits.DEFAULT),
        new StandaloneElection(), registry, Optional.empty(), reachable::get, List.of())) {
      node.awaitLeading(true);
      assertThat(MetaServicesContractTest.health(node, "")).isEqualTo(ServingStatus.SERVING);

      reachable.set(false); // the probe found out; nothing announces it
      for (String service : List.of("", "greptime.v1.meta.Store", "greptime.v1.meta.Heartbeat")) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(MetaServicesContractTest.health(node, service)).as(service)
                .isEqualTo(ServingStatus.NOT_SERVING));
      }
      reachable.set(true);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(MetaServicesContractTest.health(node, "greptime.v1.meta.Heartbeat"))
              .isEqualTo(ServingStatus.SERVING));
      assertThat(MetaServicesContractTest.health(node, "")).isEqualTo(ServingStatus.SERVING);
    }
  }

  @Test
  void aFailingHeartbeatHandlerEndsTheStreamWithItsStatusAndTheNodeCanReconnect()
      throws Exception {
    HeartbeatHandler failing = handler(context -> {
      if (context.request().getNodeEpoch() == 2) {
        throw new KvUnavailableException("store down", null);
      }
      if (context.request().getNodeEpoch() == 3) {
        throw new IllegalStateException("a bug");
      }
    });
    try (InProcessNode node = standalone(failing)) {
      HeartbeatSession session = HeartbeatSession.open(node);
      session.send(heartbeatWithEpoch(1));
      session.send(heartbeatWithEpoch(2));
      assertThat(session.next().getHeader().hasError()).isFalse();
      assertThatThrownBy(() -> session.completed.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StatusRuntimeException.class)
          .satisfies(e -> {
            StatusRuntimeException status = (StatusRuntimeException) e.getCause();
            assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(status.getStatus().getDescription()).contains("store down");
            assertThat(status.getTrailers().get(FailureStatus.GREPTIME_ERROR_CODE))
                .isEqualTo("5000");
          });

      HeartbeatSession again = HeartbeatSession.open(node);
      again.send(heartbeatWithEpoch(3));
      assertThatThrownBy(() -> again.completed.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StatusRuntimeException.class)
          .satisfies(e -> assertThat(((StatusRuntimeException) e.getCause()).getStatus()
              .getCode()).isEqualTo(Status.Code.INTERNAL));

      HeartbeatSession healthy = HeartbeatSession.open(node);
      healthy.send(heartbeatWithEpoch(4));
      assertThat(healthy.next().getHeader().hasError()).isFalse();
      healthy.finish();
      assertThat(healthy.completed.get(5, TimeUnit.SECONDS)).isNull();
    }
  }

  private static HeartbeatRequest heartbeatWithEpoch(long epoch) {
    return HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, 1)).setNodeEpoch(epoch)
        .build();
  }

  /** A one-handler chain: {@code body} runs for every request, then the header is set. */
  private static HeartbeatHandler handler(ThrowingConsumer<HeartbeatContext> body) {
    return new HeartbeatHandler() {
      @Override
      public String name() {
        return "TestHandler";
      }

      @Override
      public boolean accepts(Role role) {
        return true;
      }

      @Override
      public Flow handle(HeartbeatContext context) throws Exception {
        body.accept(context);
        context.setHeader(ResponseHeaders.ok());
        return Flow.CONTINUE;
      }
    };
  }

  @FunctionalInterface
  private interface ThrowingConsumer<T> {
    void accept(T value) throws Exception;
  }

  @Test
  void aBlockedHeartbeatHandlerHoldsUpNeitherStoreCallsNorOtherStreamsOnTheSameConnection()
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<String> handlerThreads = new CopyOnWriteArrayList<>();
    HeartbeatHandler blocking = handler(context -> {
      handlerThreads.add(Thread.currentThread().getName());
      if (context.request().getHeader().getMemberId() == 1) {
        release.await(30, TimeUnit.SECONDS);
      }
    });
    try (InProcessNode node = standalone(blocking)) {
      HeartbeatSession stuck = HeartbeatSession.open(node);
      stuck.send(HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, 1)).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> !handlerThreads.isEmpty());

      // Store answers on the transport thread, the other stream on another handler thread.
      StoreGrpc.newBlockingStub(node.channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(utf8("k")).setValue(utf8("v")).build());
      HeartbeatSession other = HeartbeatSession.open(node);
      other.send(HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, 2)).build());
      assertThat(other.next().getHeader().hasError()).isFalse();
      assertThat(stuck.responses).isEmpty();

      release.countDown();
      assertThat(stuck.next().getHeader().hasError()).isFalse();
      assertThat(handlerThreads).allMatch(name -> name.startsWith("metasrv-heartbeat-"));
    }
  }

  @Test
  void aNodeThatNeverReadsItsStreamIsDroppedInsteadOfBufferedWithoutBound() throws Exception {
    try (InProcessNode node = standalone()) {
      ClientCall<HeartbeatRequest, HeartbeatResponse> call = node.channel.newCall(
          HeartbeatGrpc.getHeartbeatMethod(), CallOptions.DEFAULT);
      CompletableFuture<Status> closed = new CompletableFuture<>();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, new Metadata());
      // never call.request(n): the node reads nothing the leader sends
      call.sendMessage(HeartbeatRequest.newBuilder().setHeader(header(Role.DATANODE, 1))
          .build());
      await().atMost(Duration.ofSeconds(10))
          .until(() -> node.metasrv.mailbox().broadcast(Role.DATANODE, big()) == 1);

      int pushes = 0;
      List<CompletableFuture<MailboxMessage>> sends = new ArrayList<>();
      while (sends.isEmpty() || !sends.get(sends.size() - 1).isDone()) {
        sends.add(node.metasrv.mailbox().send(PusherKey.datanode(1), big(),
            Duration.ofMinutes(1)));
        pushes++;
        assertThat(pushes).as("pushes before the stream is dropped").isLessThan(1_000);
      }
      System.out.printf("unread stream dropped after %d pushes of 64 KiB%n", pushes);
      assertThat(sends.get(sends.size() - 1)).isCompletedExceptionally();
      assertThat(node.metasrv.mailbox().broadcast(Role.DATANODE, big()))
          .as("the dropped stream gets nothing more").isZero();
      call.cancel("test over", null);
      assertThat(closed.get(10, TimeUnit.SECONDS).isOk()).isFalse();
    }
  }

  private static MailboxMessage big() {
    return MailboxMessage.newBuilder().setSubject("filler").setJson("x".repeat(64 * 1024))
        .build();
  }

  @Test
  void aStreamTheClientCancelsIsCountedAsCancelled() throws Exception {
    try (InProcessNode node = standalone()) {
      HeartbeatSession session = HeartbeatSession.open(node);
      session.send(HeartbeatRequest.newBuilder().setHeader(header(Role.FRONTEND, 0)).build());
      assertThat(session.next().getHeader().hasError()).isFalse();
      node.channel.shutdownNow();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        Timer cancelled = registry.find(RequestMetricsInterceptor.METER)
            .tags("method", "greptime.v1.meta.Heartbeat/Heartbeat", "status", "CANCELLED")
            .timer();
        return cancelled != null && cancelled.count() == 1;
      });
    }
  }

  @Test
  void servesTlsAndRequiresAClientCertificateSignedByTheClientCa(@TempDir Path dir)
      throws IOException {
    TestCertificates certs = TestCertificates.issue(dir);
    GrpcTls tls = new GrpcTls(certs.serverCert(), certs.serverKey(),
        Optional.of(certs.caCert()));
    try (InProcessNode node = InProcessNode.start(new MemoryKv(KvLimits.DEFAULT),
        new StandaloneElection(), registry, Optional.of(tls))) {
      node.awaitLeading(true);
      ManagedChannel withCertificate = Grpc.newChannelBuilder(node.addr(),
          TlsChannelCredentials.newBuilder().trustManager(certs.caCert().toFile())
              .keyManager(certs.clientCert().toFile(), certs.clientKey().toFile()).build())
          .build();
      ManagedChannel without = Grpc.newChannelBuilder(node.addr(),
          TlsChannelCredentials.newBuilder().trustManager(certs.caCert().toFile()).build())
          .build();
      try {
        assertThat(HeartbeatGrpc.newBlockingStub(withCertificate)
            .askLeader(AskLeaderRequest.getDefaultInstance()).getLeader().getAddr())
            .isEqualTo(node.addr());
        StatusRuntimeException refused = failure(() -> StoreGrpc.newBlockingStub(without)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .put(PutRequest.newBuilder().setKey(utf8("k")).build()));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      } finally {
        withCertificate.shutdownNow();
        without.shutdownNow();
      }
    }
  }

  /**
   * Keys as cert-manager ({@code encoding: PKCS1}) or {@code openssl genrsa -traditional} /
   * {@code ecparam -genkey} write them; Netty reads these only through BouncyCastle.
   */
  @ParameterizedTest
  @EnumSource(value = TestCertificates.KeyFormat.class, names = {"PKCS1_RSA", "SEC1_EC"})
  void servesTlsWithAServerKeyInPkcs1OrSec1(TestCertificates.KeyFormat keys, @TempDir Path dir)
      throws IOException {
    TestCertificates certs = TestCertificates.issue(dir, keys);
    GrpcTls tls = new GrpcTls(certs.serverCert(), certs.serverKey(),
        Optional.of(certs.caCert()));
    try (InProcessNode node = InProcessNode.start(new MemoryKv(KvLimits.DEFAULT),
        new StandaloneElection(), registry, Optional.of(tls))) {
      node.awaitLeading(true);
      ManagedChannel channel = Grpc.newChannelBuilder(node.addr(),
          TlsChannelCredentials.newBuilder().trustManager(certs.caCert().toFile())
              .keyManager(certs.clientCert().toFile(), certs.clientKey().toFile()).build())
          .build();
      try {
        assertThat(HeartbeatGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .askLeader(AskLeaderRequest.getDefaultInstance()).getLeader().getAddr())
            .isEqualTo(node.addr());
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private InProcessNode standalone() {
    InProcessNode node = InProcessNode.start(new MemoryKv(KvLimits.DEFAULT),
        new StandaloneElection(), registry);
    node.awaitLeading(true);
    return node;
  }

  private InProcessNode standalone(HeartbeatHandler handler) {
    InProcessNode node = InProcessNode.start(new MemoryKv(KvLimits.DEFAULT),
        new StandaloneElection(), registry, Optional.empty(), () -> true, List.of(handler));
    node.awaitLeading(true);
    return node;
  }
}
