package io.metasrv.procedure;

import io.metasrv.kv.TxnOp;
import java.util.List;
import java.util.Optional;

/** What a running procedure may ask of the manager that runs it. */
public interface ProcedureContext {

  ProcedureId procedureId();

  /**
   * Whether this node stopped running the procedure: the manager was stopped (leader
   * step-down) or a write found this node fenced. Nothing the procedure does from then on is
   * stored, and the next leader resumes it from its last stored step, so a long wait (for a
   * datanode's reply, for a lease to expire) should give up.
   */
  boolean stopping();

  /**
   * Operations that delete every record this procedure has in the store, for a last step to
   * run in the same transaction as its last effect and then return {@link
   * Status#doneWithRecordsDeleted}: the procedure is then finished in the store (nothing left
   * for a new leader to resume or clean) at the moment its effect lands, with no commit record
   * and no deletion after it. Empty when the records are not all known here (a procedure
   * recovered from the store has those of earlier leaders); the step then returns {@link
   * Status#done} and the manager commits and deletes as usual.
   */
  default Optional<List<TxnOp>> recordDeletions() {
    return Optional.empty();
  }
}
