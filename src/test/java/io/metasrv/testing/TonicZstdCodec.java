package io.metasrv.testing;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.grpc.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The {@code zstd} message encoding as GreptimeDB's meta client (tonic) writes it: a streamed
 * frame that does not record its size. Kept apart from the server's codec so that the simulated
 * nodes check it rather than share it. Stream buffers come from zstd-jni's recycling pool: a
 * fresh pair per message (about 256 KB) was three quarters of what a benchmark's simulated
 * datanodes allocated.
 */
final class TonicZstdCodec implements Codec {
  /** tonic's default zstd level. */
  private static final int LEVEL = 3;

  @Override
  public String getMessageEncoding() {
    return "zstd";
  }

  @Override
  public OutputStream compress(OutputStream os) {
    try {
      return new ZstdOutputStreamNoFinalizer(os, RecyclingBufferPool.INSTANCE, LEVEL);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public InputStream decompress(InputStream is) {
    try {
      return new ZstdInputStreamNoFinalizer(is, RecyclingBufferPool.INSTANCE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
