package io.metasrv.procedure;

/** Rebuilds a procedure from its stored {@link Procedure#dump()}, on recovery. */
@FunctionalInterface
public interface ProcedureLoader {
  Procedure load(String data) throws Exception;
}
