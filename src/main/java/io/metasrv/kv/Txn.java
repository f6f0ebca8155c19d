package io.metasrv.kv;

import java.util.List;

/**
 * An atomic compare-then-act transaction, as etcd's: when every compare holds, {@code success}
 * runs, otherwise {@code failure}.
 */
public record Txn(List<Compare> compares, List<TxnOp> success, List<TxnOp> failure) {

  public Txn {
    compares = List.copyOf(compares);
    success = List.copyOf(success);
    failure = List.copyOf(failure);
  }

  /**
   * The number that counts against {@code max_txn_ops}, measured as etcd does: the longest of the
   * compares, the success branch and the failure branch.
   */
  public int opCount() {
    return Math.max(compares.size(), Math.max(success.size(), failure.size()));
  }

  public static Txn when(List<Compare> compares, List<TxnOp> success, List<TxnOp> failure) {
    return new Txn(compares, success, failure);
  }

  /** A transaction without compares: its operations always run, atomically. */
  public static Txn of(List<TxnOp> ops) {
    return new Txn(List.of(), ops, List.of());
  }
}
