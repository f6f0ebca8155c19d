package io.metasrv.grpc;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A message sent as it is to many streams (a mailbox broadcast goes to every node): serialized
 * once, and its zstd frame made once, by the first stream that compresses it ({@link
 * ZstdCodec.Compressing#writeShared}). Without it each of thousands of streams serialized and
 * compressed the same tens of kilobytes.
 */
final class SharedMessage {
  private final Object message;
  private final byte[] bytes;
  private volatile byte[] zstdFrame;

  SharedMessage(Object message, byte[] bytes) {
    this.message = message;
    this.bytes = bytes;
  }

  /** Whether this is {@code other} serialized: the very same instance. */
  boolean isOf(Object other) {
    return message == other;
  }

  /** The serialized message; not to be changed. */
  byte[] bytes() {
    return bytes;
  }

  /** Its zstd frame (two streams may both make it at first: the same frame). */
  byte[] zstdFrame(ZstdCodec codec) {
    byte[] frame = zstdFrame;
    if (frame == null) {
      frame = codec.compressWhole(bytes);
      zstdFrame = frame;
    }
    return frame;
  }

  /** A stream of the message for gRPC's framer, which drains it into the frame. */
  InputStream stream() {
    return new Stream();
  }

  private final class Stream extends ByteArrayInputStream implements Drainable, KnownLength {
    Stream() {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int drained = count - pos;
      if (pos == 0 && target instanceof ZstdCodec.Compressing compressing) {
        compressing.writeShared(SharedMessage.this);
      } else {
        target.write(buf, pos, drained);
      }
      pos = count;
      return drained;
    }
  }
}
