package io.metasrv.cluster;

import java.nio.charset.StandardCharsets;

/**
 * SipHash-1-3 (one compression round, three finalization rounds), the hash behind Rust's {@code
 * DefaultHasher}. GreptimeDB derives a frontend's node id from its address with it: {@link
 * #hashStr(String)} is {@code DefaultHasher::new()} fed {@code addr.hash(&mut hasher)}.
 */
public final class SipHash13 {
  private SipHash13() {}

  /** SipHash-1-3 with the 128-bit key {@code (k0, k1)} over {@code data}. */
  public static long hash(long k0, long k1, byte[] data) {
    long v0 = k0 ^ 0x736f6d6570736575L;
    long v1 = k1 ^ 0x646f72616e646f6dL;
    long v2 = k0 ^ 0x6c7967656e657261L;
    long v3 = k1 ^ 0x7465646279746573L;
    int whole = data.length - data.length % 8;
    for (int i = 0; i < whole; i += 8) {
      long m = littleEndian(data, i, 8);
      v3 ^= m;
      long[] v = round(v0, v1, v2, v3);
      v0 = v[0] ^ m;
      v1 = v[1];
      v2 = v[2];
      v3 = v[3];
    }
    long last = ((long) data.length << 56) | littleEndian(data, whole, data.length - whole);
    v3 ^= last;
    long[] v = round(v0, v1, v2, v3);
    v0 = v[0] ^ last;
    v1 = v[1];
    v2 = v[2] ^ 0xff;
    v3 = v[3];
    for (int r = 0; r < 3; r++) {
      v = round(v0, v1, v2, v3);
      v0 = v[0];
      v1 = v[1];
      v2 = v[2];
      v3 = v[3];
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }

  /**
   * Rust's {@code str::hash} into a fresh {@code DefaultHasher}: SipHash-1-3 with keys (0, 0) over
   * the UTF-8 bytes followed by one {@code 0xFF} byte. The result is an unsigned 64-bit number
   * carried in a long ({@link Long#toUnsignedString} prints it as Rust does).
   */
  public static long hashStr(String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    byte[] data = new byte[utf8.length + 1];
    System.arraycopy(utf8, 0, data, 0, utf8.length);
    data[utf8.length] = (byte) 0xff;
    return hash(0, 0, data);
  }

  private static long[] round(long v0, long v1, long v2, long v3) {
    v0 += v1;
    v1 = Long.rotateLeft(v1, 13);
    v1 ^= v0;
    v0 = Long.rotateLeft(v0, 32);
    v2 += v3;
    v3 = Long.rotateLeft(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Long.rotateLeft(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Long.rotateLeft(v1, 17);
    v1 ^= v2;
    v2 = Long.rotateLeft(v2, 32);
    return new long[] {v0, v1, v2, v3};
  }

  private static long littleEndian(byte[] data, int from, int count) {
    long value = 0;
    for (int i = count - 1; i >= 0; i--) {
      value = (value << 8) | (data[from + i] & 0xffL);
    }
    return value;
  }
}
