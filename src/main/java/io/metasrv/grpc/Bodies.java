package io.metasrv.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reading a message body whole. */
final class Bodies {
  private Bodies() {}

  /**
   * Every byte of {@code body}, read into one array of the size the body says it has ({@link
   * InputStream#available()}: gRPC's buffers and a decoded body know theirs) rather than through
   * {@link InputStream#readAllBytes()}'s chunks and final copy; a body that says nothing, or
   * too little, is read the slow way for the rest.
   */
  static byte[] readWhole(InputStream body) throws IOException {
    int size = body.available();
    if (size <= 0) {
      return body.readAllBytes();
    }
    byte[] bytes = new byte[size];
    int read = body.readNBytes(bytes, 0, size);
    if (read < size) {
      return Arrays.copyOf(bytes, read);
    }
    int next = body.read();
    if (next < 0) {
      return bytes;
    }
    byte[] rest = body.readAllBytes();
    byte[] whole = Arrays.copyOf(bytes, size + 1 + rest.length);
    whole[size] = (byte) next;
    System.arraycopy(rest, 0, whole, size + 1, rest.length);
    return whole;
  }
}
