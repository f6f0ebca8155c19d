package io.metasrv.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Set;

/**
 * Answers in the encoding the client sent its request in, as GreptimeDB's metasrv does (a
 * client that compresses with zstd gets zstd back). grpc-java on its own answers uncompressed;
 * it still falls back to identity when the client's {@code grpc-accept-encoding} leaves the
 * encoding out.
 */
final class ResponseCompressionInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> MESSAGE_ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> ANSWERED_IN_KIND = Set.of(ZstdCodec.ENCODING, "gzip");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String encoding = headers.get(MESSAGE_ENCODING);
    if (encoding != null && ANSWERED_IN_KIND.contains(encoding)) {
      call.setCompression(encoding);
    }
    return next.startCall(call, headers);
  }
}
