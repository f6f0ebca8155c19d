package io.metasrv.kv;

/**
 * A request named a key that no backend accepts: an empty key (etcd: "key is not provided"), or
 * a key written twice in one transaction branch or batch (etcd: "duplicate key given in txn
 * request"). Nothing was written.
 */
public final class InvalidKeyException extends KvException {
  private final byte[] key;

  public InvalidKeyException(byte[] key, String reason) {
    super("invalid key " + Bytes.show(key) + ": " + reason + "; nothing was written");
    this.key = key;
  }

  public byte[] key() {
    return key;
  }
}
