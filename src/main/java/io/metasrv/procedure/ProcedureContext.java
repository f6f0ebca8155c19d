package io.metasrv.procedure;

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
}
