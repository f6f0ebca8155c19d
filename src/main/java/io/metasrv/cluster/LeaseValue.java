package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.SerdeJson;
import java.nio.charset.StandardCharsets;
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

  private static final byte[] TIMESTAMP_MILLIS =
      "{\"timestamp_millis\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NODE_ADDR = ",\"node_addr\":".getBytes(StandardCharsets.US_ASCII);

  public LeaseValue {
    Objects.requireNonNull(nodeAddr, "nodeAddr");
  }

  public static LeaseValue decode(byte[] json) {
    return SerdeJson.read(json, LeaseValue.class, "LeaseValue");
  }

  /** As {@link SerdeJson#write} writes it; written on every heartbeat, so token by token. */
  public byte[] encode() {
    return new JsonBytes(48 + nodeAddr.length()).raw(TIMESTAMP_MILLIS).number(timestampMillis)
        .raw(NODE_ADDR).string(nodeAddr).raw('}').toByteArray();
  }

  /**
   * GreptimeDB's alive test: {@code now − timestamp < lease}, compared as unsigned numbers, so a
   * timestamp in the future is not alive.
   */
  public boolean aliveAt(long nowMillis, long leaseMillis) {
    return Long.compareUnsigned(nowMillis - timestampMillis, leaseMillis) < 0;
  }
}
