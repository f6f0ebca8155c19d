package io.metasrv.metadata;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * A decoded value together with the exact bytes it was decoded from, GreptimeDB's {@code
 * DeserializedValueWithBytes}. An update of such a value is a compare-and-put against {@link
 * #bytes()}, never against a re-encoding of {@link #value()}: the stored text may differ from our
 * encoding (field order of a hash map, a legacy form) and still mean the same value.
 */
public final class ValueWithBytes<T> {
  private final T value;
  private final byte[] bytes;

  private ValueWithBytes(T value, byte[] bytes) {
    this.value = Objects.requireNonNull(value, "value");
    this.bytes = bytes;
  }

  /** Decodes {@code bytes} with {@code decoder} and keeps a copy of the bytes. */
  public static <T> ValueWithBytes<T> decode(byte[] bytes, Function<byte[], T> decoder) {
    byte[] copy = bytes.clone();
    return new ValueWithBytes<>(decoder.apply(copy), copy);
  }

  public T value() {
    return value;
  }

  /** The bytes as read, for the compare of a compare-and-put. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Whether a stored value is still exactly what was read. */
  public boolean sameBytes(byte[] stored) {
    return Arrays.equals(bytes, stored);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ValueWithBytes<?> other
        && value.equals(other.value)
        && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return 31 * value.hashCode() + Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ValueWithBytes(" + value + ", " + bytes.length + " bytes)";
  }
}
