package io.metasrv.kv;

/** A transaction held more operations than {@code max_txn_ops}; nothing was written. */
public final class TxnTooLargeException extends KvException {
  private final int ops;
  private final int maxTxnOps;

  public TxnTooLargeException(int ops, int maxTxnOps) {
    super("transaction has " + ops + " operations, more than max_txn_ops = " + maxTxnOps
        + "; nothing was written");
    this.ops = ops;
    this.maxTxnOps = maxTxnOps;
  }

  public int ops() {
    return ops;
  }

  public int maxTxnOps() {
    return maxTxnOps;
  }
}
