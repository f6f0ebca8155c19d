package io.metasrv.metadata;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvException;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import java.util.ArrayList;
import java.util.List;

/**
 * A dropped table's metadata kept under {@code __tombstone/{original key}} until its regions are
 * gone, so that a failed drop can put it back (GreptimeDB's {@code TombstoneManager}).
 *
 * <p>A move reads the keys (absent ones are skipped: moved already), then for each key in one
 * transaction: if its value is still the one read, put it at the destination and delete it;
 * otherwise read it again and retry, up to {@value #MAX_MOVE_ATTEMPTS} times. Each key costs two
 * operations, so at most {@code max_txn_ops / 2} keys move in one transaction; more are moved in
 * several transactions, each key paired with its own destination (GreptimeDB pairs source chunks
 * with source chunks there and writes tombstones under the wrong keys).
 */
public final class Tombstones {
  public static final String PREFIX = "__tombstone/";
  static final int MAX_MOVE_ATTEMPTS = 8;

  private final KvBackend kv;

  public Tombstones(KvBackend kv) {
    this.kv = kv;
  }

  /** The tombstone key of {@code key}. */
  public static byte[] tombstoneKey(byte[] key) {
    return Bytes.concat(Bytes.utf8(PREFIX), key);
  }

  /** Moves each of {@code keys} that exists to its tombstone key. */
  public void bury(List<byte[]> keys) {
    move(keys, true);
  }

  /** Moves the tombstones of {@code keys} back, where they exist. */
  public void restore(List<byte[]> keys) {
    move(keys, false);
  }

  /** Deletes the tombstones of {@code keys}. */
  public void delete(List<byte[]> keys) {
    kv.batchDelete(keys.stream().map(Tombstones::tombstoneKey).toList(), false);
  }

  private void move(List<byte[]> keys, boolean toTombstone) {
    List<Pair> pairs = new ArrayList<>(keys.size());
    for (byte[] key : keys) {
      byte[] tombstone = tombstoneKey(key);
      pairs.add(toTombstone ? new Pair(key, tombstone) : new Pair(tombstone, key));
    }
    int chunk = Math.max(1, kv.limits().maxTxnOps() / 2);
    for (int from = 0; from < pairs.size(); from += chunk) {
      moveAtomically(pairs.subList(from, Math.min(pairs.size(), from + chunk)));
    }
  }

  private void moveAtomically(List<Pair> pairs) {
    for (int attempt = 1; attempt <= MAX_MOVE_ATTEMPTS; attempt++) {
      List<KeyValue> read = kv.batchGet(pairs.stream().map(Pair::source).toList());
      if (read.isEmpty()) {
        return;
      }
      List<Compare> compares = new ArrayList<>();
      List<TxnOp> moves = new ArrayList<>();
      List<TxnOp> reads = new ArrayList<>();
      for (KeyValue entry : read) {
        byte[] destination = destinationOf(pairs, entry.key());
        compares.add(Compare.valueEquals(entry.key(), entry.value()));
        moves.add(TxnOp.put(destination, entry.value()));
        moves.add(TxnOp.delete(entry.key()));
        reads.add(TxnOp.get(entry.key()));
      }
      if (kv.txn(Txn.when(compares, moves, reads)).succeeded()) {
        return;
      }
    }
    throw new KvException("cannot move " + pairs.size() + " key(s) starting at "
        + Bytes.show(pairs.get(0).source()) + ": their values kept changing over "
        + MAX_MOVE_ATTEMPTS + " attempts");
  }

  private static byte[] destinationOf(List<Pair> pairs, byte[] source) {
    for (Pair pair : pairs) {
      if (java.util.Arrays.equals(pair.source(), source)) {
        return pair.destination();
      }
    }
    throw new IllegalStateException("read a key not asked for: " + Bytes.show(source));
  }

  private record Pair(byte[] source, byte[] destination) {}
}
