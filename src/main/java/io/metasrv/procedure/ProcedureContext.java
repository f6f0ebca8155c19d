package io.metasrv.procedure;
public interface ProcedureContext { ProcedureId procedureId(); boolean stopping(); }
