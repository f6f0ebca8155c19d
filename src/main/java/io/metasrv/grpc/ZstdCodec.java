package io.metasrv.grpc;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.grpc.Codec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
    return new ByteArrayOutputStream(256) {
      private boolean closed;

      @Override
      public void close() throws IOException {
        if (closed) {
          return;
        }
        closed = true;
        // Straight from this stream's buffer into the frame: no copies of the message.
        byte[] frame = new byte[(int) Zstd.compressBound(count)];
        os.write(frame, 0, compress(buf, count, frame));
        os.close();
      }
    };
  }

  @Override
  public InputStream decompress(InputStream is) throws IOException {
    byte[] frame = is.readAllBytes();
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
}
