package io.metasrv.bench;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.metasrv.grpc.MessageCompression;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.ResponseHeaders;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The heartbeat benches' baseline: a bare grpc-java bidi service that answers every heartbeat
 * with the same empty OK and nothing else. It has our codecs and, like our service, answers in
 * the encoding the request came in, so a ratio against it is what our service costs, not what
 * zstd costs. Runs in the bench's JVM ({@link #start}) or as a process of its own ({@link
 * #main}: {@code EchoHeartbeatServer PORT}, serving on 127.0.0.1 until killed).
 */
final class EchoHeartbeatServer {
  private EchoHeartbeatServer() {}

  static Server start(InetSocketAddress address) throws IOException {
    return NettyServerBuilder.forAddress(address)
        .compressorRegistry(MessageCompression.compressors())
        .decompressorRegistry(MessageCompression.decompressors())
        .addService(ServerInterceptors.intercept(new EchoHeartbeat(), new AnswerInKind()))
        .build()
        .start();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: EchoHeartbeatServer PORT");
    }
    Server server = start(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
    System.out.println("echo heartbeat server on " + server.getListenSockets().get(0));
    server.awaitTermination();
  }

  /** Responses use the request's encoding, as our ResponseCompressionInterceptor does. */
  private static final class AnswerInKind implements ServerInterceptor {
    private static final Metadata.Key<String> ENCODING =
        Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String encoding = headers.get(ENCODING);
      if (encoding != null && !encoding.equals("identity")) {
        call.setCompression(encoding);
      }
      return next.startCall(call, headers);
    }
  }

  private static final class EchoHeartbeat extends HeartbeatGrpc.HeartbeatImplBase {
    private static final HeartbeatResponse OK = HeartbeatResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .build();

    @Override
    public StreamObserver<HeartbeatRequest> heartbeat(StreamObserver<HeartbeatResponse> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(HeartbeatRequest request) {
          out.onNext(OK);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }
  }
}
