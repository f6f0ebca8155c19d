package io.metasrv.config;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Pushing the metasrv's own metrics to a Prometheus remote-write receiver ({@code
 * [export_metrics]}). When enabled, exactly one of {@code self_import} and {@code remote_write}
 * must be set.
 *
 * @param enable whether to export
 * @param writeInterval how often to push; at least one second
 * @param selfImport write into a database of the GreptimeDB cluster itself
 * @param remoteWrite write to a remote-write URL
 */
public record ExportMetricsOptions(
    boolean enable,
    Duration writeInterval,
    Optional<SelfImport> selfImport,
    Optional<RemoteWrite> remoteWrite) {

  public static ExportMetricsOptions defaults() {
    return new ExportMetricsOptions(
        false, Duration.ofSeconds(30), Optional.empty(), Optional.empty());
  }

  /** {@code [export_metrics.self_import]}. */
  public record SelfImport(String db) {
    public static SelfImport defaults() {
      return new SelfImport("greptime_metrics");
    }
  }

  /**
   * {@code [export_metrics.remote_write]}.
   *
   * @param url receiver URL
   * @param headers HTTP headers sent with every push (often an {@code Authorization} header)
   */
  public record RemoteWrite(String url, Map<String, String> headers) {
    public RemoteWrite {
      headers = Collections.unmodifiableMap(new TreeMap<>(headers));
    }

    public static RemoteWrite defaults() {
      return new RemoteWrite("", Map.of());
    }
  }
}
