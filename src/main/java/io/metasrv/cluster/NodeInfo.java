package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.SerdeJson;
import java.nio.charset.StandardCharsets;
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

  // The text between the values, as encode writes it.
  private static final byte[] PEER_ID = ascii("{\"peer\":{\"id\":");
  private static final byte[] ADDR = ascii(",\"addr\":");
  private static final byte[] LAST_ACTIVITY_TS = ascii("},\"last_activity_ts\":");
  private static final byte[] STATUS = ascii(",\"status\":");
  private static final byte[] DATANODE_RCUS = ascii("{\"Datanode\":{\"rcus\":");
  private static final byte[] WCUS = ascii(",\"wcus\":");
  private static final byte[] LEADER_REGIONS = ascii(",\"leader_regions\":");
  private static final byte[] FOLLOWER_REGIONS = ascii(",\"follower_regions\":");
  private static final byte[] FRONTEND = ascii("{\"Frontend\":{}}");
  private static final byte[] FLOWNODE = ascii("{\"Flownode\":{}}");
  private static final byte[] METASRV_LEADER = ascii("{\"Metasrv\":{\"is_leader\":true}}");
  private static final byte[] METASRV_FOLLOWER = ascii("{\"Metasrv\":{\"is_leader\":false}}");
  private static final byte[] STANDALONE = ascii("\"Standalone\"");
  private static final byte[] VERSION = ascii(",\"version\":");
  private static final byte[] GIT_COMMIT = ascii(",\"git_commit\":");
  private static final byte[] START_TIME_MS = ascii(",\"start_time_ms\":");

  public NodeInfo {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(gitCommit, "gitCommit");
  }

  public static NodeInfo decode(byte[] json) {
    return SerdeJson.read(json, NodeInfo.class, "NodeInfo");
  }

  /** As {@link SerdeJson#write} writes it; written on every heartbeat, so token by token. */
  public byte[] encode() {
    JsonBytes json = new JsonBytes(256).raw(PEER_ID).unsigned(peer.id())
        .raw(ADDR).string(peer.addr())
        .raw(LAST_ACTIVITY_TS).number(lastActivityTs)
        .raw(STATUS);
    if (status instanceof NodeStatus.Datanode d) {
      json.raw(DATANODE_RCUS).number(d.rcus())
          .raw(WCUS).number(d.wcus())
          .raw(LEADER_REGIONS).number(d.leaderRegions())
          .raw(FOLLOWER_REGIONS).number(d.followerRegions()).raw('}').raw('}');
    } else if (status instanceof NodeStatus.Metasrv m) {
      json.raw(m.isLeader() ? METASRV_LEADER : METASRV_FOLLOWER);
    } else if (status instanceof NodeStatus.Frontend) {
      json.raw(FRONTEND);
    } else if (status instanceof NodeStatus.Flownode) {
      json.raw(FLOWNODE);
    } else {
      json.raw(STANDALONE);
    }
    return json.raw(VERSION).string(version)
        .raw(GIT_COMMIT).string(gitCommit)
        .raw(START_TIME_MS).number(startTimeMs)
        .raw('}').toByteArray();
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
