package io.metasrv.procedure;
public class ProcedureException extends Exception {
  public enum Kind { MANAGER_NOT_STARTED, PAUSED, DUPLICATE, TOO_MANY_RUNNING, NOT_FOUND }
  private final Kind kind;
  public ProcedureException(Kind kind, String message) { super(message); this.kind = kind; }
  public Kind kind() { return kind; }
}
