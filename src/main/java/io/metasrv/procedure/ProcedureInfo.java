package io.metasrv.procedure;

import java.util.List;

/**
 * One procedure as the manager lists it (GreptimeDB's {@code ProcedureInfo}).
 *
 * @param startTimeMs when it got its locks and started executing (epoch millis), 0 before
 * @param endTimeMs when it finished (epoch millis), 0 before
 * @param lockKeys its locks in Rust's Debug form, e.g. {@code Exclusive("__region_lock/4398046511104")}
 */
public record ProcedureInfo(ProcedureId id, String typeName, long startTimeMs, long endTimeMs,
    ProcedureState state, List<String> lockKeys) {

  public ProcedureInfo {
    lockKeys = List.copyOf(lockKeys);
  }
}
