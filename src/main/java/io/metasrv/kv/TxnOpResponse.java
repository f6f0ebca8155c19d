package io.metasrv.kv;

import java.util.Optional;

/** The result of one {@link TxnOp}, in the order of the branch that ran. */
public sealed interface TxnOpResponse {

  /** @param prev the value the put replaced */
  record Put(Optional<KeyValue> prev) implements TxnOpResponse {}

  /** @param kv the value read */
  record Get(Optional<KeyValue> kv) implements TxnOpResponse {}

  /** @param prev the value deleted; empty when the key did not exist */
  record Delete(Optional<KeyValue> prev) implements TxnOpResponse {}
}
