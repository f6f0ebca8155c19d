package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A node as GreptimeDB's metadata names it: {@code {"id":u64,"addr":"host:port"}}, both fields
 * required (the serde form of {@code greptime.v1.meta.Peer}).
 */
public record Peer(
    @JsonProperty(value = "id", required = true) @UnsignedLongJson.U64 long id,
    @JsonProperty(value = "addr", required = true) String addr) {

  public Peer {
    Objects.requireNonNull(addr, "addr");
  }

  public static Peer fromProto(io.metasrv.protocol.Peer peer) {
    return new Peer(peer.getId(), peer.getAddr());
  }

  public io.metasrv.protocol.Peer toProto() {
    return io.metasrv.protocol.Peer.newBuilder().setId(id).setAddr(addr).build();
  }
}
