package io.metasrv.testing;

import com.google.protobuf.ByteString;
import io.grpc.DecompressorRegistry;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.AskLeaderResponse;
import io.metasrv.protocol.Error;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.KeyValue;
import io.metasrv.protocol.MailboxMessage;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.ResponseHeader;
import io.metasrv.protocol.StoreGrpc;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The metasrv side faked, to test the simulated nodes: a Heartbeat service on a free loopback
 * port that answers AskLeader with {@link #leader}, answers each heartbeat with {@link
 * #answers} while it leads and with NotLeader (then ends the stream) while it does not, records
 * every request and the message encoding it came in, and pushes mailbox messages on demand. Its
 * Store answers Range over {@link #kvs} (UTF-8 keys) with {@code limit} and {@code more}, and
 * records each Range request.
 */
final class FakeHeartbeatServer implements AutoCloseable {
  static final ResponseHeader OK = ResponseHeader.newBuilder().setProtocolVersion(1).build();

  final String addr;
  final BlockingQueue<HeartbeatRequest> requests = new LinkedBlockingQueue<>();
  final List<String> requestEncodings = new CopyOnWriteArrayList<>();
  volatile String leader;
  volatile boolean leading = true;
  final ConcurrentSkipListMap<String, String> kvs = new ConcurrentSkipListMap<>();
  final List<RangeRequest> ranges = new CopyOnWriteArrayList<>();
  volatile Function<HeartbeatRequest, HeartbeatResponse> answers =
      request -> HeartbeatResponse.newBuilder().setHeader(OK).build();
  private final List<StreamObserver<HeartbeatResponse>> streams = new CopyOnWriteArrayList<>();
  private final Server server;

  FakeHeartbeatServer() {
    int port = FreePorts.next();
    addr = "127.0.0.1:" + port;
    leader = addr;
    ServerInterceptor encodings = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String encoding = headers.get(
            Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER));
        requestEncodings.add(encoding == null ? "identity" : encoding);
        return next.startCall(call, headers);
      }
    };
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .decompressorRegistry(
              DecompressorRegistry.getDefaultInstance().with(new TonicZstdCodec(), true))
          .addService(ServerInterceptors.intercept(new Service(), encodings))
          .addService(new Store())
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Pushes {@code json} as mailbox message {@code id} on every open heartbeat stream. */
  void push(long id, String subject, String json) {
    MailboxMessage message = MailboxMessage.newBuilder()
        .setId(id)
        .setSubject(subject)
        .setFrom("Metasrv@" + addr)
        .setTo("Datanode-1@127.0.0.1:4001")
        .setTimestampMillis(System.currentTimeMillis())
        .setJson(json)
        .build();
    HeartbeatResponse push =
        HeartbeatResponse.newBuilder().setHeader(OK).setMailboxMessage(message).build();
    for (StreamObserver<HeartbeatResponse> stream : streams) {
      synchronized (stream) {
        stream.onNext(push);
      }
    }
  }

  /** The next request received, waiting a while for it. */
  HeartbeatRequest nextRequest() throws InterruptedException {
    HeartbeatRequest request = requests.poll(10, TimeUnit.SECONDS);
    if (request == null) {
      throw new AssertionError("no heartbeat request reached " + addr);
    }
    return request;
  }

  /** The last request received so far (draining the queue); null when none came. */
  HeartbeatRequest lastRequest() {
    HeartbeatRequest last = null;
    for (HeartbeatRequest request = requests.poll(); request != null; request = requests.poll()) {
      last = request;
    }
    return last;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private final class Store extends StoreGrpc.StoreImplBase {
    @Override
    public void range(RangeRequest request, StreamObserver<RangeResponse> response) {
      ranges.add(request);
      String from = request.getKey().toStringUtf8();
      String to = request.getRangeEnd().toStringUtf8();
      RangeResponse.Builder answer = RangeResponse.newBuilder().setHeader(OK);
      var range = request.getRangeEnd().isEmpty() ? kvs.subMap(from, true, from, true)
          : kvs.subMap(from, true, to, false);
      for (var entry : range.entrySet()) {
        if (request.getLimit() > 0 && answer.getKvsCount() == request.getLimit()) {
          answer.setMore(true);
          break;
        }
        answer.addKvs(KeyValue.newBuilder()
            .setKey(ByteString.copyFrom(entry.getKey(), StandardCharsets.UTF_8))
            .setValue(ByteString.copyFrom(entry.getValue(),
                StandardCharsets.UTF_8)));
      }
      response.onNext(answer.build());
      response.onCompleted();
    }
  }

  private final class Service extends HeartbeatGrpc.HeartbeatImplBase {
    @Override
    public void askLeader(AskLeaderRequest request, StreamObserver<AskLeaderResponse> response) {
      response.onNext(AskLeaderResponse.newBuilder()
          .setHeader(OK)
          .setLeader(Peer.newBuilder().setAddr(leader))
          .build());
      response.onCompleted();
    }

    @Override
    public StreamObserver<HeartbeatRequest> heartbeat(
        StreamObserver<HeartbeatResponse> responses) {
      streams.add(responses);
      return new StreamObserver<>() {
        private boolean ended;

        @Override
        public void onNext(HeartbeatRequest request) {
          requests.add(request);
          synchronized (responses) {
            if (ended) {
              return;
            }
            if (leading) {
              responses.onNext(answers.apply(request));
              return;
            }
            streams.remove(responses);
            ended = true;
            responses.onNext(HeartbeatResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setProtocolVersion(1)
                    .setError(Error.newBuilder().setCode(2)
                        .setErrMsg("Current server is not leader")))
                .build());
            responses.onCompleted();
          }
        }

        @Override
        public void onError(Throwable t) {
          streams.remove(responses);
        }

        @Override
        public void onCompleted() {
          streams.remove(responses);
          synchronized (responses) {
            if (!ended) {
              ended = true;
              responses.onCompleted();
            }
          }
        }
      };
    }
  }
}
