package io.metasrv.config;

import java.time.Duration;

/** How the metasrv talks to datanodes ({@code [datanode]}). */
public record DatanodeOptions(Client client) {

  public static DatanodeOptions defaults() {
    return new DatanodeOptions(Client.defaults());
  }

  /**
   * The gRPC client to datanodes ({@code [datanode.client]}).
   *
   * @param timeout per-request timeout
   * @param connectTimeout connection timeout
   * @param tcpNodelay whether to set {@code TCP_NODELAY}
   */
  public record Client(Duration timeout, Duration connectTimeout, boolean tcpNodelay) {
    public static Client defaults() {
      // GreptimeDB's code default is a 1 s connect timeout; its example file shows 10 s.
      return new Client(Duration.ofSeconds(10), Duration.ofSeconds(1), true);
    }
  }
}
