package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.SerdeJson;
import java.util.Objects;

/**
 * A node's lease in the leader's view: {@code {"timestamp_millis":i64,"node_addr":"host:port"}},
 * the leader's wall clock at the node's last heartbeat and the address it announced.
 */
public record LeaseValue(
    @JsonProperty(value = "timestamp_millis", required = true) long timestampMillis,
    @JsonProperty(value = "node_addr", required = true) String nodeAddr) {

  /** GreptimeDB's datanode, flownode and region lease: 10 s. */
  public static final long LEASE_MILLIS = 10_000;

  public LeaseValue {
    Objects.requireNonNull(nodeAddr, "nodeAddr");
  }

  public static LeaseValue decode(byte[] json) {
    return SerdeJson.read(json, LeaseValue.class, "LeaseValue");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }

  /**
   * GreptimeDB's alive test: {@code now − timestamp < lease}, compared as unsigned numbers, so a
   * timestamp in the future is not alive.
   */
  public boolean aliveAt(long nowMillis, long leaseMillis) {
    return Long.compareUnsigned(nowMillis - timestampMillis, leaseMillis) < 0;
  }
}
