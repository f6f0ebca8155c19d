package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/** The value of {@code __node_address/{role}/{node_id}}: {@code {"peer":{"id":..,"addr":..}}}. */
public record NodeAddressValue(@JsonProperty(value = "peer", required = true) Peer peer) {

  public NodeAddressValue {
    Objects.requireNonNull(peer, "peer");
  }

  public static NodeAddressValue decode(byte[] json) {
    return SerdeJson.read(json, NodeAddressValue.class, "NodeAddressValue");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }
}
