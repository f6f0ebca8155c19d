package io.metasrv.procedure;
@FunctionalInterface public interface ProcedureLoader { Procedure load(String data) throws Exception; }
