package io.metasrv.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Writes heartbeat responses for the leader's streams. A mailbox push is serialized once for
 * all the streams it goes to ({@link SharedMessage}: a broadcast offers one response instance to
 * every stream in turn); an answer is serialized straight into the compressor's buffer when it
 * is compressed, without protobuf's own buffer in between. Reading is the generated parser's.
 */
final class HeartbeatResponseMarshaller implements MethodDescriptor.Marshaller<HeartbeatResponse> {
  private final MethodDescriptor.Marshaller<HeartbeatResponse> generated =
      HeartbeatGrpc.getHeartbeatMethod().getResponseMarshaller();
  /** The last push serialized: the one a broadcast is offering to every stream. */
  private volatile SharedMessage lastPush;

  @Override
  public InputStream stream(HeartbeatResponse response) {
    if (!response.hasMailboxMessage()) {
      return new Answer(response);
    }
    SharedMessage push = lastPush;
    if (push == null || !push.isOf(response)) {
      push = new SharedMessage(response, response.toByteArray());
      lastPush = push;
    }
    return push.stream();
  }

  @Override
  public HeartbeatResponse parse(InputStream stream) {
    return generated.parse(stream);
  }

  /** One answer; serialized when gRPC drains it, read as bytes only if it asks for them. */
  private static final class Answer extends InputStream implements Drainable, KnownLength {
    private final MessageLite message;
    private InputStream read;
    private boolean drained;

    Answer(MessageLite message) {
      this.message = message;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (drained || read != null) {
        throw new IOException("the answer was already read");
      }
      drained = true;
      int size = message.getSerializedSize();
      if (target instanceof ZstdCodec.Compressing compressing) {
        compressing.writeMessage(message);
      } else {
        message.writeTo(target);
      }
      return size;
    }

    private InputStream asBytes() throws IOException {
      if (drained) {
        throw new IOException("the answer was already drained");
      }
      if (read == null) {
        read = new ByteArrayInputStream(message.toByteArray());
      }
      return read;
    }

    @Override
    public int read() throws IOException {
      return asBytes().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return asBytes().read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      if (drained) {
        return 0;
      }
      return read == null ? message.getSerializedSize() : read.available();
    }
  }
}
