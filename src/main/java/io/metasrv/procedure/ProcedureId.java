package io.metasrv.procedure;
public record ProcedureId(java.util.UUID uuid) {
  public static ProcedureId random() { return new ProcedureId(java.util.UUID.randomUUID()); }
  public static ProcedureId parse(String text) { return new ProcedureId(java.util.UUID.fromString(text)); }
  @Override public String toString() { return uuid.toString(); }
}
