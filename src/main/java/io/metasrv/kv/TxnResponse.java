package io.metasrv.kv;

import java.util.List;

/**
 * The result of a {@link Txn}.
 *
 * @param succeeded whether the compares held (and so which branch ran)
 * @param responses one response per operation of the branch that ran
 */
public record TxnResponse(boolean succeeded, List<TxnOpResponse> responses) {
  public TxnResponse {
    responses = List.copyOf(responses);
  }
}
