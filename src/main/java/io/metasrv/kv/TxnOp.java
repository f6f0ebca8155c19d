package io.metasrv.kv;

/** One operation of a {@link Txn} branch. */
public sealed interface TxnOp {

  byte[] key();

  record Put(byte[] key, byte[] value) implements TxnOp {}

  record Get(byte[] key) implements TxnOp {}

  record Delete(byte[] key) implements TxnOp {}

  static TxnOp put(byte[] key, byte[] value) {
    return new Put(key, value);
  }

  static TxnOp get(byte[] key) {
    return new Get(key);
  }

  static TxnOp delete(byte[] key) {
    return new Delete(key);
  }
}
