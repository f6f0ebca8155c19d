package io.metasrv.grpc;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.grpc.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The {@code zstd} message encoding over zstd-jni, the one GreptimeDB's meta clients send
 * (tonic's {@code CompressionEncoding::Zstd}). Each message is one zstd frame.
 */
public final class ZstdCodec implements Codec {
  public static final String ENCODING = "zstd";

  /** tonic's default zstd level. */
  private static final int LEVEL = 3;

  @Override
  public String getMessageEncoding() {
    return ENCODING;
  }

  @Override
  public OutputStream compress(OutputStream os) throws IOException {
    return new ZstdOutputStreamNoFinalizer(os, LEVEL);
  }

  @Override
  public InputStream decompress(InputStream is) throws IOException {
    return new ZstdInputStreamNoFinalizer(is);
  }
}
