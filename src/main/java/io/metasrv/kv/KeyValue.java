package io.metasrv.kv;

import java.util.Arrays;

/**
 * One stored key with its value and etcd-style bookkeeping.
 *
 * <p>{@code version} counts the writes since the key was created (1 after the first put);
 * {@code modRevision} is the store revision of its last write. Both are 0 in key-values that
 * callers build for writing. Arrays are not copied: treat them as immutable.
 */
public final class KeyValue {
  private final byte[] key;
  private final byte[] value;
  private final long version;
  private final long modRevision;

  public KeyValue(byte[] key, byte[] value, long version, long modRevision) {
    this.key = key;
    this.value = value;
    this.version = version;
    this.modRevision = modRevision;
  }

  /** A key-value to write. */
  public static KeyValue of(byte[] key, byte[] value) {
    return new KeyValue(key, value, 0, 0);
  }

  public byte[] key() {
    return key;
  }

  public byte[] value() {
    return value;
  }

  public long version() {
    return version;
  }

  public long modRevision() {
    return modRevision;
  }

  /** The same key without its value, for keys-only reads. */
  public KeyValue withoutValue() {
    return new KeyValue(key, Bytes.EMPTY, version, modRevision);
  }

  /** Equal when key and value are equal; bookkeeping fields are not compared. */
  @Override
  public boolean equals(Object o) {
    return o instanceof KeyValue other
        && Arrays.equals(key, other.key)
        && Arrays.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "KeyValue{" + Bytes.show(key) + "=" + Bytes.show(value) + ", version=" + version + "}";
  }
}
