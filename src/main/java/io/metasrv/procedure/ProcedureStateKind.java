package io.metasrv.procedure;
public enum ProcedureStateKind { Running, Done, Retrying, PrepareRollback, RollingBack, Failed;
  public int protoNumber() { return switch (this) { case Running -> 0; case Done -> 1; case Retrying -> 2; case Failed -> 3; case PrepareRollback -> 4; case RollingBack -> 5; }; } }
