package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.StoreGrpc;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import io.metasrv.testing.WritableOverlaps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three {@code metasrv start} processes on a real etcd with simulated GreptimeDB datanodes, seen
 * from the datanodes' side: the leader is killed, the datanodes follow the new leader, their
 * regions keep their leases, and the new leader's view is rebuilt from the heartbeats.
 */
class HeartbeatFailoverIT {
  private static final long TABLE = 1024;
  private static final long REGION_ON_1 = SimulatedDatanode.regionId(TABLE, 1);
  private static final long REGION_ON_2 = SimulatedDatanode.regionId(TABLE, 2);
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  /** GreptimeDB's region lease: a region is never without one longer than this. */
  private static final Duration REGION_LEASE = Duration.ofSeconds(10);

  private EtcdProcess etcd;
  private MetasrvCluster cluster;
  private SimulatedNodes nodes;

  @AfterEach
  void stop() {
    if (nodes != null) {
      nodes.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void datanodesFollowTheNewLeaderAndTheirRegionsKeepTheirLeases() throws Exception {
    Path dir = Files.createTempDirectory("metasrv-heartbeat-failover-");
    etcd = EtcdProcess.start();
    cluster = MetasrvCluster.start(3, "127.0.0.1:" + etcd.clientPort(), dir);
    MetasrvNode old = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    writeRoute(old.serverAddr());

    nodes = new SimulatedNodes(cluster.nodes().stream().map(MetasrvNode::serverAddr).toList(),
        MonotonicClock.SYSTEM);
    SimulatedDatanode first = nodes.datanode(1, "127.0.0.1:14001")
        .withHeartbeatInterval(INTERVAL).withRegion(REGION_ON_1, RegionRole.Follower);
    SimulatedDatanode second = nodes.datanode(2, "127.0.0.1:14002")
        .withHeartbeatInterval(INTERVAL).withRegion(REGION_ON_2, RegionRole.Follower);
    first.start().get(30, TimeUnit.SECONDS);
    second.start().get(30, TimeUnit.SECONDS);
    await("the routed regions to be writable").atMost(Duration.ofSeconds(20))
        .until(() -> first.isWritable(REGION_ON_1) && second.isWritable(REGION_ON_2));

    long killedAt = System.nanoTime();
    old.kill9();
    MetasrvNode successor = MetasrvCluster.awaitLeaderAmong(cluster.others(old), killedAt,
        Duration.ofSeconds(30)).leader();
    await("the datanodes to follow " + successor.serverAddr()).atMost(Duration.ofSeconds(30))
        .until(() -> first.connectedTo().equals(Optional.of(successor.serverAddr()))
            && second.connectedTo().equals(Optional.of(successor.serverAddr())));
    await("the new leader's view to hold both leases").atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> MetaCalls.datanodeLeaseCount(successor.serverAddr()) == 2);
    // a few more rounds under the new leader
    Thread.sleep(INTERVAL.multipliedBy(3).toMillis());

    System.out.printf("leader %s killed; %s leads; longest lease gap: %s / %s%n", old.name(),
        successor.name(), first.longestLeaseGap(REGION_ON_1),
        second.longestLeaseGap(REGION_ON_2));
    assertThat(first.isWritable(REGION_ON_1)).isTrue();
    assertThat(second.isWritable(REGION_ON_2)).isTrue();
    assertThat(first.longestLeaseGap(REGION_ON_1)).isLessThanOrEqualTo(REGION_LEASE);
    assertThat(second.longestLeaseGap(REGION_ON_2)).isLessThanOrEqualTo(REGION_LEASE);
    assertThat(WritableOverlaps.find(List.of(first, second))).isEmpty();
    assertThat(first.isOpen(REGION_ON_2)).isFalse();
  }

  /** Region 1 of table 1024 led by datanode 1, region 2 by datanode 2, written through Store. */
  private static void writeRoute(String addr) {
    byte[] route = PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(REGION_ON_1), new Peer(1, "127.0.0.1:14001")),
        RegionRoute.led(Region.of(REGION_ON_2), new Peer(2, "127.0.0.1:14002")))).encode();
    ManagedChannel channel = ManagedChannelBuilder.forTarget(addr).usePlaintext().build();
    try {
      StoreGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setHeader(header())
              .setKey(ByteString.copyFrom(new TableRouteKey(TABLE).toBytes()))
              .setValue(ByteString.copyFrom(route)).build());
    } finally {
      channel.shutdownNow();
    }
  }

  private static RequestHeader header() {
    return RequestHeader.newBuilder().setProtocolVersion(1).setRole(Role.DATANODE).build();
  }
}
