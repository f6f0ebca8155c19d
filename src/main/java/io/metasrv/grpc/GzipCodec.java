package io.metasrv.grpc;

import io.grpc.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * grpc-java's {@code gzip} encoding, except that a body is decoded only when it is read
 * ({@link DecodedOnRead}): grpc-java's own reads the gzip header as soon as the body arrives, and
 * a body that is not gzip then ends the call with UNKNOWN instead of INVALID_ARGUMENT.
 */
final class GzipCodec implements Codec {
  static final String ENCODING = "gzip";

  private final Codec.Gzip gzip = new Codec.Gzip();

  @Override
  public String getMessageEncoding() {
    return ENCODING;
  }

  @Override
  public OutputStream compress(OutputStream os) throws IOException {
    return gzip.compress(os);
  }

  @Override
  public InputStream decompress(InputStream is) {
    return new DecodedOnRead(ENCODING, () -> gzip.decompress(is));
  }
}
