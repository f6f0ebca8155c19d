package io.metasrv.config;

import java.time.Duration;
import java.util.List;

/**
 * The admin HTTP server ({@code [http]}).
 *
 * @param addr listen address, {@code host:port}
 * @param timeout request timeout; zero means none
 * @param bodyLimit largest accepted request body
 * @param isStrictMode GreptimeDB's strict mode for its HTTP protocol endpoints
 * @param corsAllowedOrigins origins allowed by CORS; empty allows any when CORS is on
 * @param enableCors whether to answer CORS requests
 */
public record HttpOptions(
    String addr,
    Duration timeout,
    ReadableSize bodyLimit,
    boolean isStrictMode,
    List<String> corsAllowedOrigins,
    boolean enableCors) {

  public HttpOptions {
    corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
  }

  public static HttpOptions defaults() {
    return new HttpOptions(
        "127.0.0.1:4000", Duration.ZERO, ReadableSize.ofMib(64), false, List.of(), true);
  }
}
