package io.metasrv.procedure;
public final class ProcedureManager implements AutoCloseable {
  public static Builder builder(io.metasrv.kv.KvBackend kv, io.metasrv.config.ProcedureOptions options) { return new Builder(); }
  public static final class Builder { public Builder clock(java.time.Clock c) { return this; } public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry r) { return this; } public ProcedureManager build() { return new ProcedureManager(); } }
  public void registerLoader(String typeName, ProcedureLoader loader) {}
  public void start() {}
  public void stop() {}
  public ProcedureId submit(Procedure procedure) throws ProcedureException { return null; }
  public java.util.Optional<ProcedureState> state(ProcedureId id) { return java.util.Optional.empty(); }
  public java.util.concurrent.CompletableFuture<ProcedureState> whenFinished(ProcedureId id) { return null; }
  public java.util.List<ProcedureInfo> list() { return java.util.List.of(); }
  public void pause() {} public void resume() {} public boolean isPaused() { return false; } public int runningCount() { return 0; }
  public void close() {}
}
