package io.metasrv.procedure;
public record ProcedureInfo(ProcedureId id, String typeName, long startTimeMs, long endTimeMs, ProcedureState state, java.util.List<String> lockKeys) {}
