package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.SerdeJson;
import java.util.Objects;

/**
 * A node's entry in the leader's view ({@code __meta_cluster_node_info-0-{role}-{id}}), read by
 * frontends for {@code information_schema.cluster_info}. Every field is required:
 *
 * <pre>{@code
 * {"peer":{"id":1,"addr":"10.0.0.1:4001"},"last_activity_ts":1743400000000,
 *  "status":{"Datanode":{"rcus":0,"wcus":0,"leader_regions":2,"follower_regions":0}},
 *  "version":"0.14.0","git_commit":"d701c18150","start_time_ms":1743300000000}
 * }</pre>
 */
public record NodeInfo(
    @JsonProperty(value = "peer", required = true) Peer peer,
    @JsonProperty(value = "last_activity_ts", required = true) long lastActivityTs,
    @JsonProperty(value = "status", required = true) NodeStatus status,
    @JsonProperty(value = "version", required = true) String version,
    @JsonProperty(value = "git_commit", required = true) String gitCommit,
    @JsonProperty(value = "start_time_ms", required = true) long startTimeMs) {

  public NodeInfo {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(gitCommit, "gitCommit");
  }

  public static NodeInfo decode(byte[] json) {
    return SerdeJson.read(json, NodeInfo.class, "NodeInfo");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }
}
