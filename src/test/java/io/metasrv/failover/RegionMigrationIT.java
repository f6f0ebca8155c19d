package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.protocol.ProcedureStatus;
import io.metasrv.protocol.RegionRole;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import io.metasrv.testing.WritableOverlaps;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Region migration across three {@code metasrv start} processes on a real etcd, seen from two
 * simulated datanodes: a migration moves a region and closes it on the old datanode; a leader
 * killed (or frozen) while a datanode hangs in one of the migration's instructions is succeeded
 * by one that finishes the migration once; at no moment are both datanodes writable leaders of a
 * region; a corrupt procedure record in the store is logged and skipped by the successor, which
 * recovers the other procedures, keeps the record's key and keeps serving.
 */
class RegionMigrationIT {
  private static final long TABLE = 1024;
  private static final int REGIONS = 5;
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final String DN1_ADDR = "127.0.0.1:14101";
  private static final String DN2_ADDR = "127.0.0.1:14102";

  private EtcdProcess etcd;
  private MetasrvCluster cluster;
  private SimulatedNodes nodes;
  private SimulatedDatanode dn1;
  private SimulatedDatanode dn2;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    Path dir = Files.createTempDirectory("metasrv-migration-");
    etcd = EtcdProcess.start();
    cluster = MetasrvCluster.start(3, "127.0.0.1:" + etcd.clientPort(), dir);
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    List<RegionRoute> routes = new ArrayList<>();
    for (long number = 1; number <= REGIONS; number++) {
      routes.add(RegionRoute.led(Region.of(region(number)), new Peer(1, DN1_ADDR)));
    }
    MetaCalls.writeTable(leader.serverAddr(), TABLE, routes);
    nodes = new SimulatedNodes(cluster.nodes().stream().map(MetasrvNode::serverAddr).toList(),
        MonotonicClock.SYSTEM);
    dn1 = nodes.datanode(1, DN1_ADDR).withHeartbeatInterval(INTERVAL);
    for (long number = 1; number <= REGIONS; number++) {
      dn1.withRegion(region(number), RegionRole.Leader);
    }
    dn2 = nodes.datanode(2, DN2_ADDR).withHeartbeatInterval(INTERVAL);
    dn1.start().get(30, TimeUnit.SECONDS);
    dn2.start().get(30, TimeUnit.SECONDS);
    await("datanode 1 to lead its regions").atMost(Duration.ofSeconds(20))
        .until(() -> LongStream.rangeClosed(1, REGIONS).allMatch(n -> dn1.isWritable(region(n))));
    await("the leader to hold both datanodes' leases").atMost(Duration.ofSeconds(20))
        .until(() -> {
          String leases = get(cluster.awaitSingleLeader(Duration.ofSeconds(10)),
              "/admin/node-lease");
          return leases.contains("\"node_id\":1}") && leases.contains("\"node_id\":2}");
        });
  }

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
  void aMigrationMovesTheRegionAndTheOldDatanodeClosesIt() throws Exception {
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(10));
    String pid = MetaCalls.migrate(leader.serverAddr(), region(1), 1, 2, 30).orElseThrow();

    await("the migration to finish").atMost(Duration.ofSeconds(30)).until(() ->
        MetaCalls.query(leader.serverAddr(), pid).getStatus() == ProcedureStatus.Done);
    RegionRoute route = MetaCalls.route(leader.serverAddr(), TABLE).regionRoute(region(1))
        .orElseThrow();
    assertThat(route.leaderPeer().id()).isEqualTo(2);
    assertThat(route.leaderState()).isNull();
    await("datanode 2 to be writable").atMost(Duration.ofSeconds(10))
        .until(() -> dn2.isWritable(region(1)));
    await("datanode 1 to close the region").atMost(Duration.ofSeconds(10))
        .until(() -> !dn1.isOpen(region(1)));
    assertThat(dn1.instructionsReceived("CloseRegion")).isEqualTo(1);
    assertThat(MetaCalls.count(leader.serverAddr(), "/__procedure__/")).isZero();
    String listed = get(leader, "/admin/procedures");
    assertThat(listed).contains(pid).contains("metasrv-procedure::RegionMigration")
        .contains("\"state\":\"Done\"");
    assertThat(WritableOverlaps.find(List.of(dn1, dn2))).isEmpty();

    // Migrating it again to where it is already is nothing to do.
    assertThat(MetaCalls.migrate(leader.serverAddr(), region(1), 1, 2, 30)).isEmpty();
  }

  @Test
  void aLeaderKilledInAnyInstructionStepIsSucceededByOneThatFinishesTheMigrationOnce()
      throws Exception {
    List<String[]> steps = List.of(
        new String[] {"OpenRegion", "2"}, new String[] {"DowngradeRegion", "1"},
        new String[] {"UpgradeRegion", "2"}, new String[] {"CloseRegion", "1"});
    long number = 1;
    for (String[] step : steps) {
      long region = region(number++);
      SimulatedDatanode hanging = step[1].equals("1") ? dn1 : dn2;
      String kind = step[0];
      long before = hanging.instructionsReceived(kind);
      hanging.hangInInstructions(kind);
      MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(30));
      String pid = MetaCalls.migrate(leader.serverAddr(), region, 1, 2, 60).orElseThrow();
      await(kind + " to reach datanode " + step[1]).atMost(Duration.ofSeconds(30))
          .until(() -> hanging.instructionsReceived(kind) > before);

      long killedAt = System.nanoTime();
      leader.kill9();
      hanging.answerInstructions(kind);
      MetasrvNode successor = MetasrvCluster.awaitLeaderAmong(cluster.others(leader), killedAt,
          Duration.ofSeconds(30)).leader();
      leader.restart();

      await("the successor to finish the migration killed in " + kind)
          .atMost(Duration.ofSeconds(60)).until(() ->
              MetaCalls.route(successor.serverAddr(), TABLE).regionRoute(region).orElseThrow()
                  .ledBy(2) && dn2.isWritable(region) && !dn1.isOpen(region));
      await("its procedure to be done").atMost(Duration.ofSeconds(20)).until(() ->
          MetaCalls.count(successor.serverAddr(), "/__procedure__/") == 0);
      RegionRoute route = MetaCalls.route(successor.serverAddr(), TABLE).regionRoute(region)
          .orElseThrow();
      assertThat(route.leaderState()).as(kind).isNull();
      if (!kind.equals("CloseRegion")) {
        // A migration killed before it ended is resumed, under the same id, by the successor.
        assertThat(MetaCalls.query(successor.serverAddr(), pid).getStatus()).as(kind)
            .isEqualTo(ProcedureStatus.Done);
      }
      assertThat(WritableOverlaps.find(List.of(dn1, dn2))).as(kind).isEmpty();
      System.out.printf("killed the leader in %s: %s finished the migration%n", kind,
          successor.name());
    }
    for (long other = number; other <= REGIONS; other++) {
      assertThat(dn1.isWritable(region(other))).isTrue();
    }
  }

  @Test
  void aLeaderFrozenLongerThanItsLeaseLandsNoWriteAndTheSuccessorFinishes() throws Exception {
    long region = region(1);
    dn1.hangInInstructions("DowngradeRegion");
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(10));
    MetaCalls.migrate(leader.serverAddr(), region, 1, 2, 60).orElseThrow();
    await("the downgrade to reach datanode 1").atMost(Duration.ofSeconds(30))
        .until(() -> dn1.instructionsReceived("DowngradeRegion") > 0);
    PhysicalTableRouteValue marked = MetaCalls.route(leader.serverAddr(), TABLE);
    assertThat(marked.regionRoute(region).orElseThrow().leaderDowngrading()).isTrue();

    long frozenAt = System.nanoTime();
    leader.sigstop();
    MetasrvNode successor = MetasrvCluster.awaitLeaderAmong(cluster.others(leader), frozenAt,
        Duration.ofSeconds(30)).leader();
    dn1.answerInstructions("DowngradeRegion");
    await("the successor to finish the migration").atMost(Duration.ofSeconds(60)).until(() ->
        MetaCalls.route(successor.serverAddr(), TABLE).regionRoute(region).orElseThrow()
            .ledBy(2) && dn2.isWritable(region));
    leader.sigcont();
    // Time for the thawed leader to act on what it was doing before it learns it lost.
    Thread.sleep(5_000);

    PhysicalTableRouteValue after = MetaCalls.route(successor.serverAddr(), TABLE);
    RegionRoute route = after.regionRoute(region).orElseThrow();
    assertThat(route.ledBy(2)).isTrue();
    assertThat(route.leaderState()).isNull();
    assertThat(after.version()).as("the mark and the move, nothing from the frozen leader")
        .isEqualTo(marked.version() + 1);
    assertThat(cluster.currentLeader()).map(MetasrvNode::name).contains(successor.name());
    assertThat(WritableOverlaps.find(List.of(dn1, dn2))).isEmpty();
  }

  @Test
  void aCorruptProcedureRecordIsLoggedAndSkippedWhileTheSuccessorResumesTheRest()
      throws Exception {
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(10));
    String corruptKey = "/__procedure__/procedure/" + UUID.randomUUID() + "/0000000000.step";
    MetaCalls.put(leader.serverAddr(), corruptKey.getBytes(StandardCharsets.UTF_8),
        "{not a procedure".getBytes(StandardCharsets.UTF_8));
    long region = region(1);
    dn1.hangInInstructions("DowngradeRegion");
    String pid = MetaCalls.migrate(leader.serverAddr(), region, 1, 2, 60).orElseThrow();
    await("the downgrade to reach datanode 1").atMost(Duration.ofSeconds(30))
        .until(() -> dn1.instructionsReceived("DowngradeRegion") > 0);

    long killedAt = System.nanoTime();
    leader.kill9();
    dn1.answerInstructions("DowngradeRegion");
    MetasrvNode successor = MetasrvCluster.awaitLeaderAmong(cluster.others(leader), killedAt,
        Duration.ofSeconds(30)).leader();

    await("the successor to finish the migration").atMost(Duration.ofSeconds(60)).until(() ->
        MetaCalls.query(successor.serverAddr(), pid).getStatus() == ProcedureStatus.Done);
    assertThat(MetaCalls.route(successor.serverAddr(), TABLE).regionRoute(region).orElseThrow()
        .ledBy(2)).isTrue();
    assertThat(successor.logTail(100_000)).contains("Skipping procedure record " + corruptKey);
    assertThat(MetaCalls.count(successor.serverAddr(), "/__procedure__/"))
        .as("the corrupt record is kept, the finished migration's keys are gone").isOne();
    assertThat(MetaCalls.count(successor.serverAddr(), corruptKey)).isOne();
    // The successor keeps serving: another migration runs to its end.
    String next = MetaCalls.migrate(successor.serverAddr(), region(2), 1, 2, 30).orElseThrow();
    await("a migration on the successor to finish").atMost(Duration.ofSeconds(30)).until(() ->
        MetaCalls.query(successor.serverAddr(), next).getStatus() == ProcedureStatus.Done);
    assertThat(cluster.currentLeader()).map(MetasrvNode::name).contains(successor.name());
    assertThat(WritableOverlaps.find(List.of(dn1, dn2))).isEmpty();
  }

  private String get(MetasrvNode node, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static long region(long number) {
    return SimulatedDatanode.regionId(TABLE, number);
  }
}
