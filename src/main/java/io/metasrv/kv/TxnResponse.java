package io.metasrv.kv;

import java.util.List;

/**
 * The result of a {@link Txn}.
 *
 * @param succeeded whether the compares held (and so which branch ran)
 * @param responses one response per operation of the branch that ran
 * @param revision the store's revision as of the transaction (etcd's response header revision):
 *     when it wrote, the revision its writes were applied at; 0 when the store does not say
 */
public record TxnResponse(boolean succeeded, List<TxnOpResponse> responses, long revision) {
  public TxnResponse {
    responses = List.copyOf(responses);
  }

  /** A response from a store that does not report revisions. */
  public TxnResponse(boolean succeeded, List<TxnOpResponse> responses) {
    this(succeeded, responses, 0);
  }
}
