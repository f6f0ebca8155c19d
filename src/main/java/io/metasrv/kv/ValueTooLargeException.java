package io.metasrv.kv;

/** A value was larger than {@code max_metadata_value_size}; nothing was written. */
public final class ValueTooLargeException extends KvException {
  private final byte[] key;
  private final long size;
  private final long maxSize;

  public ValueTooLargeException(byte[] key, long size, long maxSize) {
    super("value of key " + Bytes.show(key) + " has " + size
        + " bytes, more than max_metadata_value_size = " + maxSize + " bytes; nothing was written");
    this.key = key;
    this.size = size;
    this.maxSize = maxSize;
  }

  public byte[] key() {
    return key;
  }

  public long size() {
    return size;
  }

  public long maxSize() {
    return maxSize;
  }
}
