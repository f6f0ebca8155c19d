package io.metasrv.cluster;

import io.metasrv.kv.Bytes;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.Role;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys of the leader's in-memory view, as GreptimeDB names them. The {@code -0-} segment is a
 * legacy cluster id: always written as 0, any digits accepted when parsing. Node info keys carry
 * the role as a number (0 datanode, 1 frontend, 2 flownode).
 *
 * <ul>
 *   <li>{@code __meta_datanode_lease-0-{id}}, {@code __meta_flownode_lease-0-{id}}: {@link
 *       LeaseValue}
 *   <li>{@code __meta_cluster_node_info-0-{role}-{id}}: {@link NodeInfo}; a frontend's id is {@link
 *       #frontendNodeId(String)} of its address
 *   <li>{@code __meta_datanode_stat-0-{id}}: a JSON array of {@link Stat}
 *   <li>{@code __flow/state}: {@link FlowStateValue}
 * </ul>
 */
public final class ClusterKeys {
  public static final String DATANODE_LEASE_PREFIX = "__meta_datanode_lease";
  public static final String FLOWNODE_LEASE_PREFIX = "__meta_flownode_lease";
  public static final String DATANODE_STAT_PREFIX = "__meta_datanode_stat";
  public static final String NODE_INFO_PREFIX = "__meta_cluster_node_info";
  public static final String FLOW_STATE = "__flow/state";

  private static final Pattern DATANODE_LEASE = nodeKeyPattern(DATANODE_LEASE_PREFIX);
  private static final Pattern FLOWNODE_LEASE = nodeKeyPattern(FLOWNODE_LEASE_PREFIX);
  private static final Pattern DATANODE_STAT = nodeKeyPattern(DATANODE_STAT_PREFIX);
  private static final Pattern NODE_INFO =
      Pattern.compile("^" + NODE_INFO_PREFIX + "-([0-9]+)-([0-9]+)-([0-9]+)$");

  /** A parsed node info key. */
  public record NodeInfoKey(Role role, long nodeId) {
    public NodeInfoKey {
      Objects.requireNonNull(role, "role");
      if (role == Role.UNRECOGNIZED) {
        throw new IllegalArgumentException("a node info key needs a known role");
      }
    }

    public byte[] toBytes() {
      return nodeInfo(role, nodeId);
    }
  }

  private ClusterKeys() {}

  public static byte[] datanodeLease(long nodeId) {
    return nodeKey(DATANODE_LEASE_PREFIX, nodeId);
  }

  public static byte[] flownodeLease(long nodeId) {
    return nodeKey(FLOWNODE_LEASE_PREFIX, nodeId);
  }

  public static byte[] datanodeStat(long nodeId) {
    return nodeKey(DATANODE_STAT_PREFIX, nodeId);
  }

  public static byte[] nodeInfo(Role role, long nodeId) {
    return Bytes.utf8(
        NODE_INFO_PREFIX + "-0-" + role.getNumber() + "-" + Long.toUnsignedString(nodeId));
  }

  public static byte[] flowState() {
    return Bytes.utf8(FLOW_STATE);
  }

  /** {@code __meta_datanode_lease-0-}: every datanode lease. */
  public static byte[] datanodeLeasePrefix() {
    return Bytes.utf8(DATANODE_LEASE_PREFIX + "-0-");
  }

  public static byte[] flownodeLeasePrefix() {
    return Bytes.utf8(FLOWNODE_LEASE_PREFIX + "-0-");
  }

  public static byte[] datanodeStatPrefix() {
    return Bytes.utf8(DATANODE_STAT_PREFIX + "-0-");
  }

  /** {@code __meta_cluster_node_info-0-}: every node's info. */
  public static byte[] nodeInfoPrefix() {
    return Bytes.utf8(NODE_INFO_PREFIX + "-0-");
  }

  /** {@code __meta_cluster_node_info-0-{role}-}: the info of every node of one role. */
  public static byte[] nodeInfoPrefix(Role role) {
    return Bytes.utf8(NODE_INFO_PREFIX + "-0-" + role.getNumber() + "-");
  }

  /** The node id of a datanode lease key. */
  public static long parseDatanodeLease(byte[] key) {
    return nodeId(DATANODE_LEASE, key, "datanode lease key");
  }

  public static long parseFlownodeLease(byte[] key) {
    return nodeId(FLOWNODE_LEASE, key, "flownode lease key");
  }

  public static long parseDatanodeStat(byte[] key) {
    return nodeId(DATANODE_STAT, key, "datanode stat key");
  }

  public static NodeInfoKey parseNodeInfo(byte[] key) {
    Matcher m = match(NODE_INFO, key, "node info key");
    Role role = null;
    if (m.group(2).length() < 10) {
      role = Role.forNumber(Integer.parseInt(m.group(2)));
    }
    if (role == null) {
      throw new InvalidMetadataException(
          "invalid node info key '" + Bytes.show(key) + "': unknown role " + m.group(2));
    }
    return new NodeInfoKey(role, unsigned(m.group(3), key, "node info key"));
  }

  /**
   * The node info key of the node that sent {@code request}, as GreptimeDB computes it: the
   * header's role and the peer's id, or for a frontend the hash of its address. Empty when the
   * request has no header or no peer, or an unknown role.
   */
  public static Optional<NodeInfoKey> nodeInfoKey(HeartbeatRequest request) {
    if (!request.hasHeader() || !request.hasPeer()) {
      return Optional.empty();
    }
    Role role = request.getHeader().getRole();
    if (role == Role.UNRECOGNIZED) {
      return Optional.empty();
    }
    long nodeId =
        role == Role.FRONTEND
            ? frontendNodeId(request.getPeer().getAddr())
            : request.getPeer().getId();
    return Optional.of(new NodeInfoKey(role, nodeId));
  }

  /**
   * A frontend's node id: frontends do not configure one, so GreptimeDB hashes the address with
   * Rust's {@code DefaultHasher} (SipHash-1-3, keys 0 and 0). An unsigned 64-bit number.
   */
  public static long frontendNodeId(String addr) {
    return SipHash13.hashStr(addr);
  }

  private static Pattern nodeKeyPattern(String prefix) {
    return Pattern.compile("^" + prefix + "-([0-9]+)-([0-9]+)$");
  }

  private static byte[] nodeKey(String prefix, long nodeId) {
    return Bytes.utf8(prefix + "-0-" + Long.toUnsignedString(nodeId));
  }

  private static long nodeId(Pattern pattern, byte[] key, String what) {
    return unsigned(match(pattern, key, what).group(2), key, what);
  }

  private static Matcher match(Pattern pattern, byte[] key, String what) {
    Matcher m = pattern.matcher(Bytes.utf8(key));
    if (!m.matches()) {
      throw new InvalidMetadataException("invalid " + what + " '" + Bytes.show(key) + "'");
    }
    return m;
  }

  private static long unsigned(String digits, byte[] key, String what) {
    try {
      return Long.parseUnsignedLong(digits);
    } catch (NumberFormatException e) {
      throw new InvalidMetadataException(
          "invalid " + what + " '" + Bytes.show(key) + "': node id out of range");
    }
  }
}
