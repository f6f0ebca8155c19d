package io.metasrv.metadata;

import io.metasrv.protocol.Role;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code __node_address/{role}/{node_id}}: the address a node last announced ({@link
 * NodeAddressValue}); the role is the number of {@code greptime.v1.meta.Role} (0 datanode, 2
 * flownode). Readers of table routes replace each peer's address by this one.
 */
public record NodeAddressKey(Role role, long nodeId) implements MetadataKey {
  public static final String PREFIX = "__node_address";
  private static final Pattern PATTERN = KeyText.pattern(PREFIX + "/([0-9]+)/([0-9]+)");

  public NodeAddressKey {
    Objects.requireNonNull(role, "role");
    if (role == Role.UNRECOGNIZED) {
      throw new IllegalArgumentException("a node address key needs a known role");
    }
  }

  public static NodeAddressKey datanode(long nodeId) {
    return new NodeAddressKey(Role.DATANODE, nodeId);
  }

  public static NodeAddressKey flownode(long nodeId) {
    return new NodeAddressKey(Role.FLOWNODE, nodeId);
  }

  public static byte[] rangePrefix() {
    return KeyText.utf8(PREFIX + "/");
  }

  public static NodeAddressKey parse(byte[] key) {
    Matcher m = KeyText.match(PATTERN, key, "NodeAddressKey");
    long roleNumber = KeyText.u32(m.group(1), key, "NodeAddressKey");
    Role role = roleNumber > Integer.MAX_VALUE ? null : Role.forNumber((int) roleNumber);
    if (role == null) {
      throw new InvalidMetadataException(
          "invalid NodeAddressKey '" + m.group() + "': unknown role " + roleNumber);
    }
    return new NodeAddressKey(role, KeyText.u64(m.group(2), key, "NodeAddressKey"));
  }

  @Override
  public byte[] toBytes() {
    return KeyText.utf8(toString());
  }

  @Override
  public String toString() {
    return PREFIX + "/" + role.getNumber() + "/" + KeyText.u64(nodeId);
  }
}
