package io.metasrv.grpc;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.grpc.Codec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The {@code zstd} message encoding over zstd-jni, the one GreptimeDB's meta clients send
 * (tonic's {@code CompressionEncoding::Zstd}). Each message is one zstd frame.
 *
 * <p>Messages are small and many (a heartbeat is a few hundred bytes), and a fresh zstd stream
 * costs far more than compressing one: so compression and decompression reuse pooled contexts,
 * and frames this codec writes record their size so the other side can decode them in one step.
 * Frames without a size (tonic's streaming encoder writes those), or that claim more than
 * {@link #ONE_STEP_LIMIT}, are decoded as a stream, whose size gRPC bounds as it reads. Either
 * way a body is decoded when it is read ({@link DecodedOnRead}), so a corrupt one is answered
 * INVALID_ARGUMENT like any other malformed request.
 *
 * <p>A message to compress is collected in a buffer its thread keeps for the next one, and a
 * {@link SharedMessage} (a broadcast to thousands of streams) is compressed once, not once per
 * stream: at thousands of heartbeats a second the buffers' garbage made the leader's young
 * collections frequent enough to show in its answers' latency.
 */
public final class ZstdCodec implements Codec {
  public static final String ENCODING = "zstd";

  /** tonic's default zstd level. */
  private static final int LEVEL = 3;
  private static final int ONE_STEP_LIMIT = 4 * 1024 * 1024;
  private static final int POOLED_CONTEXTS = 2 * Runtime.getRuntime().availableProcessors();

  private final BlockingQueue<ZstdCompressCtx> compressors =
      new ArrayBlockingQueue<>(POOLED_CONTEXTS);
  private final BlockingQueue<ZstdDecompressCtx> decompressors =
      new ArrayBlockingQueue<>(POOLED_CONTEXTS);

  @Override
  public String getMessageEncoding() {
    return ENCODING;
  }

  @Override
  public OutputStream compress(OutputStream os) {
    return new Compressing(os);
  }

  @Override
  public InputStream decompress(InputStream is) throws IOException {
    byte[] frame = Bodies.readWhole(is);
    long size = frame.length == 0 ? 0 : Zstd.getFrameContentSize(frame);
    if (size >= 0 && size <= ONE_STEP_LIMIT) {
      return new DecodedOnRead(ENCODING,
          () -> new ByteArrayInputStream(decompress(frame, (int) size)));
    }
    return new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(frame),
        RecyclingBufferPool.INSTANCE);
  }

  /** Compresses {@code message[0, length)} into {@code frame}; returns the frame's size. */
  private int compress(byte[] message, int length, byte[] frame) {
    ZstdCompressCtx ctx = compressors.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx().setLevel(LEVEL).setContentSize(true);
    }
    try {
      return ctx.compressByteArray(frame, 0, frame.length, message, 0, length);
    } finally {
      if (!compressors.offer(ctx)) {
        ctx.close();
      }
    }
  }

  private byte[] decompress(byte[] frame, int size) {
    if (size == 0) {
      return new byte[0];
    }
    ZstdDecompressCtx ctx = decompressors.poll();
    if (ctx == null) {
      ctx = new ZstdDecompressCtx();
    }
    try {
      return ctx.decompress(frame, size);
    } finally {
      if (!decompressors.offer(ctx)) {
        ctx.close();
      }
    }
  }

  /** Compresses the whole of {@code message} into a frame of its own size. */
  byte[] compressWhole(byte[] message) {
    byte[] frame = new byte[(int) Zstd.compressBound(message.length)];
    int size = compress(message, message.length, frame);
    return size == frame.length ? frame : Arrays.copyOf(frame, size);
  }

  /**
   * One message, collected and written as one frame when closed. Its buffers are its thread's
   * ({@link Scratch}), given back when it closes.
   */
  final class Compressing extends OutputStream {
    private final OutputStream frames;
    private final Scratch scratch;
    private byte[] buf;
    private int count;
    private SharedMessage shared;
    private boolean closed;

    private Compressing(OutputStream frames) {
      this.frames = frames;
      this.scratch = Scratch.take();
      this.buf = scratch == null ? new byte[256] : scratch.message;
    }

    /** The whole message, if nothing was written before: then its frame is made only once. */
    void writeShared(SharedMessage message) throws IOException {
      if (count == 0 && shared == null) {
        shared = message;
      } else {
        write(message.bytes());
      }
    }

    /** The whole message, serialized straight into the buffer. */
    void writeMessage(MessageLite message) throws IOException {
      int size = message.getSerializedSize();
      ensureRoom(size);
      CodedOutputStream out = CodedOutputStream.newInstance(buf, count, size);
      message.writeTo(out);
      out.checkNoSpaceLeft();
      count += size;
    }

    @Override
    public void write(int b) throws IOException {
      ensureRoom(1);
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      ensureRoom(len);
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    private void ensureRoom(int more) throws IOException {
      if (closed) {
        throw new IOException("message already compressed");
      }
      if (shared != null) {
        SharedMessage whole = shared;
        shared = null;
        write(whole.bytes());
      }
      if (buf.length - count < more) {
        buf = Arrays.copyOf(buf, Math.max(count + more, buf.length * 2));
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (shared != null) {
          frames.write(shared.zstdFrame(ZstdCodec.this));
        } else {
          int bound = (int) Zstd.compressBound(count);
          byte[] frame = scratch != null && scratch.frame.length >= bound ? scratch.frame
              : new byte[bound];
          // Straight from the buffer into the frame: no copies of the message.
          frames.write(frame, 0, compress(buf, count, frame));
          if (scratch != null && frame != scratch.frame) {
            scratch.keepFrame(frame);
          }
        }
      } finally {
        if (scratch != null) {
          scratch.giveBack(buf);
        }
      }
      frames.close();
    }
  }

  /**
   * A thread's buffers for the messages it compresses, one at a time; kept while no larger than
   * {@link #KEPT_BYTES}, so a rare huge message does not pin its buffer.
   */
  private static final class Scratch {
    private static final int KEPT_BYTES = 256 * 1024;
    private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(Scratch::new);

    private byte[] message = new byte[4096];
    private byte[] frame = new byte[(int) Zstd.compressBound(4096)];
    private boolean inUse;

    /** This thread's buffers, or null while a message of this thread already has them. */
    static Scratch take() {
      Scratch scratch = OF_THREAD.get();
      if (scratch.inUse) {
        return null;
      }
      scratch.inUse = true;
      return scratch;
    }

    void keepFrame(byte[] grown) {
      if (grown.length <= KEPT_BYTES) {
        frame = grown;
      }
    }

    void giveBack(byte[] grown) {
      if (grown.length <= KEPT_BYTES) {
        message = grown;
      }
      inUse = false;
    }
  }
}
