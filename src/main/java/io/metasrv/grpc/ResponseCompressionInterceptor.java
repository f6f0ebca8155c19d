package io.metasrv.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * Answers in the encoding the client sent its request in, as GreptimeDB's metasrv does (a
 * client that compresses with zstd gets zstd back). grpc-java on its own answers uncompressed;
 * it still falls back to identity when the client's {@code grpc-accept-encoding} leaves the
 * encoding out.
 *
 * <p>Responses smaller than {@value #COMPRESS_FROM_BYTES} bytes go uncompressed all the same
 * (the message's compressed flag is 0, which every gRPC client reads whatever the call's
 * encoding, tonic included): a heartbeat answer is a few bytes, and a zstd frame of it is larger
 * than the message and costs more than sending it.
 */
final class ResponseCompressionInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> MESSAGE_ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> ANSWERED_IN_KIND = Set.of(ZstdCodec.ENCODING, "gzip");
  static final int COMPRESS_FROM_BYTES = 256;

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String encoding = headers.get(MESSAGE_ENCODING);
    if (encoding != null && ANSWERED_IN_KIND.contains(encoding)) {
      call.setCompression(encoding);
      return next.startCall(new SmallUncompressed<>(call), headers);
    }
    return next.startCall(call, headers);
  }

  /** Compresses only the messages worth it. */
  private static final class SmallUncompressed<Q, R> extends SimpleForwardingServerCall<Q, R> {
    SmallUncompressed(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    @Override
    public void sendMessage(R message) {
      delegate().setMessageCompression(size(message) >= COMPRESS_FROM_BYTES);
      super.sendMessage(message);
    }

    /**
     * The message's serialized size; protobuf memoizes it, so serializing reuses it. The meta
     * services send {@link InputStream}s ({@link GrpcServer} binds them with unparsed messages),
     * whose {@link KnownLength} says the size of the message behind them.
     */
    private static long size(Object message) {
      if (message instanceof MessageLite lite) {
        return lite.getSerializedSize();
      }
      if (message instanceof KnownLength && message instanceof InputStream stream) {
        try {
          return stream.available();
        } catch (IOException e) {
          return Long.MAX_VALUE;
        }
      }
      return Long.MAX_VALUE;
    }
  }
}
