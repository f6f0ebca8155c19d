package io.metasrv.procedure;
public interface Procedure {
  String typeName();
  Status execute(ProcedureContext context) throws Exception;
  String dump() throws Exception;
  LockKeys lockKeys();
  default boolean rollbackSupported() { return false; }
  default void rollback(ProcedureContext context) throws Exception { throw new UnsupportedOperationException("rollback not supported"); }
  default void recover() throws Exception {}
}
