package io.metasrv.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Logging ({@code [logging]}).
 *
 * @param dir directory of the log files; empty means no files
 * @param level log level filter such as {@code info} or {@code info,io.metasrv.kv=debug}; unset
 *     means {@code info}
 * @param logFormat line format
 * @param maxLogFiles rotated files kept
 * @param appendStdout whether to log to stdout as well
 * @param enableOtlpTracing whether to export traces over OTLP
 * @param otlpEndpoint OTLP endpoint; unset means {@code http://localhost:4317}
 * @param tracingSampleRatio trace sampling; unset samples everything
 * @param slowQuery GreptimeDB's slow query log, which a metasrv never writes
 */
public record LoggingOptions(
    String dir,
    Optional<String> level,
    LogFormat logFormat,
    int maxLogFiles,
    boolean appendStdout,
    boolean enableOtlpTracing,
    Optional<String> otlpEndpoint,
    Optional<TracingSampleRatio> tracingSampleRatio,
    SlowQuery slowQuery) {

  public static LoggingOptions defaults() {
    return new LoggingOptions(
        "./greptimedb_data/metasrv/logs",
        Optional.empty(),
        LogFormat.TEXT,
        720,
        true,
        false,
        Optional.empty(),
        Optional.empty(),
        SlowQuery.defaults());
  }

  /** {@code [logging.tracing_sample_ratio]}: a default ratio and per-request-type rules. */
  public record TracingSampleRatio(double defaultRatio, List<TracingSampleRule> rules) {
    public TracingSampleRatio {
      rules = List.copyOf(rules);
    }

    public static TracingSampleRatio defaults() {
      return new TracingSampleRatio(1.0, List.of());
    }
  }

  /** One {@code [[logging.tracing_sample_ratio.rules]]} entry. */
  public record TracingSampleRule(String protocol, List<String> requestTypes, double ratio) {
    public TracingSampleRule {
      requestTypes = List.copyOf(requestTypes);
    }

    public static TracingSampleRule defaults() {
      return new TracingSampleRule("", List.of(), 0.0);
    }
  }

  /** {@code [logging.slow_query]}. */
  public record SlowQuery(
      boolean enable, Optional<Duration> threshold, Optional<Double> sampleRatio) {
    public static SlowQuery defaults() {
      return new SlowQuery(false, Optional.empty(), Optional.empty());
    }
  }
}
