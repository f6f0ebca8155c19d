package io.metasrv.grpc;

import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.DecompressorRegistry;

/** The message encodings this server reads and writes: zstd and gzip, as GreptimeDB's. */
public final class MessageCompression {
  private static final Codec ZSTD = new ZstdCodec();
  private static final Codec GZIP = new GzipCodec();

  private MessageCompression() {}

  /** gzip and zstd, for a server or a channel that sends compressed messages. */
  public static CompressorRegistry compressors() {
    CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
    registry.register(Codec.Identity.NONE);
    registry.register(GZIP);
    registry.register(ZSTD);
    return registry;
  }

  /** identity, gzip and zstd, for a server or a channel that reads compressed messages. */
  public static DecompressorRegistry decompressors() {
    return DecompressorRegistry.getDefaultInstance().with(GZIP, true).with(ZSTD, true);
  }
}
