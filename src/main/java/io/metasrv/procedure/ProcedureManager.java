package io.metasrv.procedure;
public final class ProcedureManager {
  public void registerLoader(String typeName, ProcedureLoader loader) {}
  public ProcedureId submit(Procedure procedure) throws ProcedureException { return null; }
  public java.util.concurrent.CompletableFuture<Object> whenFinished(ProcedureId id) { return null; }
  public boolean isPaused() { return false; }
}
