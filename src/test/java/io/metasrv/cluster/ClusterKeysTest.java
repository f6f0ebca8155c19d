package io.metasrv.cluster;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import org.junit.jupiter.api.Test;

/** Keys of the leader's in-memory view, GreptimeDB's reference §2.1 and §2.4. */
class ClusterKeysTest {

  @Test
  void keysAreWrittenWithTheLegacyZeroSegment() {
    assertThat(utf8(ClusterKeys.datanodeLease(42))).isEqualTo("__meta_datanode_lease-0-42");
    assertThat(utf8(ClusterKeys.flownodeLease(7))).isEqualTo("__meta_flownode_lease-0-7");
    assertThat(utf8(ClusterKeys.datanodeStat(42))).isEqualTo("__meta_datanode_stat-0-42");
    assertThat(utf8(ClusterKeys.nodeInfo(Role.DATANODE, 2)))
        .isEqualTo("__meta_cluster_node_info-0-0-2");
    assertThat(utf8(ClusterKeys.nodeInfo(Role.FLOWNODE, 3)))
        .isEqualTo("__meta_cluster_node_info-0-2-3");
    assertThat(utf8(ClusterKeys.flowState())).isEqualTo("__flow/state");
    assertThat(utf8(ClusterKeys.nodeInfoPrefix())).isEqualTo("__meta_cluster_node_info-0-");
    assertThat(utf8(ClusterKeys.nodeInfoPrefix(Role.FRONTEND)))
        .isEqualTo("__meta_cluster_node_info-0-1-");
    assertThat(utf8(ClusterKeys.datanodeLeasePrefix())).isEqualTo("__meta_datanode_lease-0-");
    assertThat(utf8(ClusterKeys.flownodeLeasePrefix())).isEqualTo("__meta_flownode_lease-0-");
    assertThat(utf8(ClusterKeys.datanodeStatPrefix())).isEqualTo("__meta_datanode_stat-0-");
  }

  @Test
  void parsersAcceptAnyClusterIdDigits() {
    assertThat(ClusterKeys.parseDatanodeLease(utf8("__meta_datanode_lease-0-42"))).isEqualTo(42);
    assertThat(ClusterKeys.parseDatanodeLease(utf8("__meta_datanode_lease-1000-42"))).isEqualTo(42);
    assertThat(ClusterKeys.parseFlownodeLease(utf8("__meta_flownode_lease-3-7"))).isEqualTo(7);
    assertThat(ClusterKeys.parseDatanodeStat(utf8("__meta_datanode_stat-0-18446744073709551615")))
        .isEqualTo(-1L);
    assertThat(ClusterKeys.parseNodeInfo(utf8("__meta_cluster_node_info-5-1-6217528761578684316")))
        .isEqualTo(new ClusterKeys.NodeInfoKey(Role.FRONTEND, 6217528761578684316L));
  }

  @Test
  void malformedKeysAreRefused() {
    for (String key :
        new String[] {
          "__meta_datanode_lease-0-",
          "__meta_datanode_lease-42",
          "__meta_datanode_lease-0-x",
          "__meta_datanode_lease-0-18446744073709551616",
          "__meta_flownode_lease-0-1",
        }) {
      assertThatThrownBy(() -> ClusterKeys.parseDatanodeLease(utf8(key)))
          .as(key)
          .isInstanceOf(InvalidMetadataException.class);
    }
    assertThatThrownBy(() -> ClusterKeys.parseNodeInfo(utf8("__meta_cluster_node_info-0-3-1")))
        .isInstanceOf(InvalidMetadataException.class)
        .hasMessageContaining("unknown role 3");
    assertThatThrownBy(() -> ClusterKeys.parseNodeInfo(utf8("__meta_cluster_node_info-0-1")))
        .isInstanceOf(InvalidMetadataException.class);
  }

  /** Test vectors of the reference, checked there with rustc and an independent implementation. */
  @Test
  void frontendNodeIdIsRustsDefaultHasherOfTheAddress() {
    assertThat(Long.toUnsignedString(ClusterKeys.frontendNodeId("127.0.0.1:4001")))
        .isEqualTo("6217528761578684316");
    assertThat(Long.toUnsignedString(ClusterKeys.frontendNodeId("192.168.1.10:4001")))
        .isEqualTo("15973345158795241580");
    assertThat(Long.toUnsignedString(ClusterKeys.frontendNodeId("")))
        .isEqualTo("3476900567878811119");
  }

  /**
   * Longer inputs (several 8-byte blocks, a key other than zero), against an independent Python
   * implementation that, run with 2 and 4 rounds, gives the SipHash paper's vector for this key and
   * message (00 01 .. 0e, 15 bytes): {@code a129ca6149be45e5}.
   */
  @Test
  void sipHash13OverSeveralBlocks() {
    byte[] message = new byte[15];
    for (int i = 0; i < message.length; i++) {
      message[i] = (byte) i;
    }

    assertThat(
            Long.toUnsignedString(
                SipHash13.hash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L, message)))
        .isEqualTo("15213397504630561110");
    assertThat(Long.toUnsignedString(SipHash13.hashStr("very.long.domain.name.example.com:9999")))
        .isEqualTo("10538880023122933206");
  }

  @Test
  void nodeInfoKeyOfAHeartbeat() {
    HeartbeatRequest datanode =
        HeartbeatRequest.newBuilder()
            .setHeader(RequestHeader.newBuilder().setRole(Role.DATANODE).setMemberId(9))
            .setPeer(Peer.newBuilder().setId(3).setAddr("10.0.0.3:4001"))
            .build();
    HeartbeatRequest frontend =
        HeartbeatRequest.newBuilder()
            .setHeader(RequestHeader.newBuilder().setRole(Role.FRONTEND))
            .setPeer(Peer.newBuilder().setId(0).setAddr("127.0.0.1:4001"))
            .build();
    HeartbeatRequest handshake =
        HeartbeatRequest.newBuilder()
            .setHeader(RequestHeader.newBuilder().setRole(Role.DATANODE))
            .build();

    assertThat(ClusterKeys.nodeInfoKey(datanode))
        .contains(new ClusterKeys.NodeInfoKey(Role.DATANODE, 3));
    assertThat(ClusterKeys.nodeInfoKey(frontend).orElseThrow().toBytes())
        .isEqualTo(utf8("__meta_cluster_node_info-0-1-6217528761578684316"));
    assertThat(ClusterKeys.nodeInfoKey(handshake)).isEmpty();
  }
}
