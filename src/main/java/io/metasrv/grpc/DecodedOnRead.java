package io.metasrv.grpc;

import java.io.IOException;
import java.io.InputStream;

/**
 * A compressed message's body, decoded when it is first read rather than when gRPC hands it
 * over. grpc-java asks the codec for the body on its network thread, where a failure ends the
 * call with a bare UNKNOWN and a logged stack trace; read later, while the request is parsed, a
 * corrupt body fails like any other malformed request ({@link FailureStatus}: INVALID_ARGUMENT).
 */
final class DecodedOnRead extends InputStream {

  /** Opens the decoded body; any failure to decode is an {@link IOException}. */
  @FunctionalInterface
  interface Decoder {
    InputStream open() throws IOException;
  }

  private final String encoding;
  private final Decoder decoder;
  private InputStream decoded;

  DecodedOnRead(String encoding, Decoder decoder) {
    this.encoding = encoding;
    this.decoder = decoder;
  }

  private InputStream decoded() throws IOException {
    if (decoded == null) {
      try {
        decoded = decoder.open();
      } catch (IOException | RuntimeException e) {
        throw corrupt(e);
      }
    }
    return decoded;
  }

  @Override
  public int read() throws IOException {
    InputStream body = decoded();
    try {
      return body.read();
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    InputStream body = decoded();
    try {
      return body.read(b, off, len);
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  private IOException corrupt(Exception e) {
    return new IOException("corrupt " + encoding + " message: " + e.getMessage(), e);
  }

  /** The decoded body's size (decoding it, so that a reader can size its array at once). */
  @Override
  public int available() throws IOException {
    InputStream body = decoded();
    try {
      return body.available();
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  @Override
  public void close() throws IOException {
    if (decoded != null) {
      decoded.close();
    }
  }
}
