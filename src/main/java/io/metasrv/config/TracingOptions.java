package io.metasrv.config;

import java.util.Optional;

/**
 * GreptimeDB's {@code [tracing]} section, kept so its files load; its only key is the tokio-console
 * address, which a JVM has no use for.
 */
public record TracingOptions(Optional<String> tokioConsoleAddr) {
  public static TracingOptions defaults() {
    return new TracingOptions(Optional.empty());
  }
}
