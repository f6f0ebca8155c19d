package io.metasrv.grpc;

import io.grpc.MethodDescriptor;
import java.io.InputStream;

/**
 * Messages as the transport's own streams, for {@link io.grpc.ServerInterceptors
 * #useMarshalledMessages}: a request's body is parsed by the service definition inside the
 * interceptors ({@link GrpcServer}), and a response's serialized form goes out as the stream
 * its marshaller made.
 *
 * <p>grpc-java's {@code useInputStreamMessages} wraps every stream that cannot mark in an 8 KiB
 * {@link java.io.BufferedInputStream}: each compressed request, and each response, whose
 * protobuf stream then loses the direct drain into the frame and is copied through that buffer
 * and an 8 KiB copy buffer besides. At thousands of heartbeats a second that was most of the
 * transport's allocation. Nothing here needs mark: a request is parsed once, synchronously in
 * {@code onMessage}, while its stream is open; a response is written once.
 */
final class UnbufferedMessages implements MethodDescriptor.Marshaller<InputStream> {
  static final UnbufferedMessages INSTANCE = new UnbufferedMessages();

  private UnbufferedMessages() {}

  @Override
  public InputStream stream(InputStream value) {
    return value;
  }

  @Override
  public InputStream parse(InputStream stream) {
    return stream;
  }
}
