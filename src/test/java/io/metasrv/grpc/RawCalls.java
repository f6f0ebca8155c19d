package io.metasrv.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Calls whose request bodies are whatever bytes the test chooses. */
final class RawCalls {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private RawCalls() {}

  static MethodDescriptor<byte[], byte[]> unary(String fullMethodName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  static MethodDescriptor<byte[], byte[]> bidi(String fullMethodName) {
    return unary(fullMethodName).toBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .build();
  }

  static byte[] call(Channel channel, String fullMethodName, byte[] body) {
    return ClientCalls.blockingUnaryCall(channel, unary(fullMethodName),
        CallOptions.DEFAULT.withCompression(ZstdCodec.ENCODING), body);
  }
}
