package io.metasrv.config;

import java.time.Duration;

/**
 * The procedure framework ({@code [procedure]}).
 *
 * @param maxRetryTimes retries of a failed procedure step before the procedure fails
 * @param retryDelay first retry delay; doubles on each retry
 * @param maxMetadataValueSize values above this size are split across keys. GreptimeDB types it as
 *     optional, but the metasrv default layer always sets it, so it is always present
 * @param maxRunningProcedures procedures running at once; more are rejected
 */
public record ProcedureOptions(
    int maxRetryTimes,
    Duration retryDelay,
    ReadableSize maxMetadataValueSize,
    int maxRunningProcedures) {

  /**
   * The metasrv's procedure defaults, which differ from the procedure framework's own (3 retries,
   * no value size limit).
   */
  public static ProcedureOptions defaults() {
    // etcd refuses requests above 1.5 MiB; 1500 KiB leaves 36 KiB for the key.
    return new ProcedureOptions(12, Duration.ofMillis(500), ReadableSize.ofKib(1500), 128);
  }
}
