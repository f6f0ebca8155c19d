package io.metasrv.procedure;
public record ProcedureState(ProcedureStateKind kind, java.util.Optional<String> error, java.util.Optional<String> output) {}
