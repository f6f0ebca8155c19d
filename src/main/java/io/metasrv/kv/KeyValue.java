package io.metasrv.kv;

import java.util.Arrays;

/**
 * One stored key with its value and etcd-style bookkeeping.
 *
 * <p>{@code version} counts the writes since the key was created (1 after the first put);
 * {@code modRevision} is the store revision of its last write. Both are 0 in key-values that
 * callers build for writing. Arrays are not copied: treat them as immutable. A value a store
 * keeps as a {@link ValueOnRead} is written out by each call of {@link #value()}.
 */
public final class KeyValue {
  private final byte[] key;
  /** Null when the value is written out on read. */
  private final byte[] value;
  private final ValueOnRead valueOnRead;
  private final long version;
  private final long modRevision;

  public KeyValue(byte[] key, byte[] value, long version, long modRevision) {
    this(key, value, null, version, modRevision);
  }

  private KeyValue(byte[] key, byte[] value, ValueOnRead valueOnRead, long version,
      long modRevision) {
    this.key = key;
    this.value = value;
    this.valueOnRead = valueOnRead;
    this.version = version;
    this.modRevision = modRevision;
  }

  /** A stored key whose value is written out each time it is read. */
  static KeyValue writtenOnRead(byte[] key, ValueOnRead value, long version, long modRevision) {
    return new KeyValue(key, null, value, version, modRevision);
  }

  /** A key-value to write. */
  public static KeyValue of(byte[] key, byte[] value) {
    return new KeyValue(key, value, 0, 0);
  }

  public byte[] key() {
    return key;
  }

  public byte[] value() {
    return value != null ? value : valueOnRead.bytes();
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
        && Arrays.equals(value(), other.value());
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(key) + Arrays.hashCode(value());
  }

  @Override
  public String toString() {
    return "KeyValue{" + Bytes.show(key) + "=" + Bytes.show(value()) + ", version=" + version + "}";
  }
}
