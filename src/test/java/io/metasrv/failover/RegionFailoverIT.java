package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Region failover across three {@code metasrv start} processes on a real etcd with {@code
 * enable_region_failover}: a datanode that stops heartbeating loses its regions to the others,
 * which become writable there; while maintenance mode is on, or the procedure manager is paused,
 * failed regions stay where they are, and move once that ends; a leader that dies with a
 * datanode is succeeded by one that moves that datanode's regions though it never heard of it.
 * Timings are printed, not asserted: the deadlines are generous for a loaded machine.
 */
class RegionFailoverIT {
  private static final long TABLE = 1024;
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  /** Regions 1-3 on datanode 1, 4-6 on datanode 2; datanodes 3 and 4 start empty. */
  private static final int REGIONS_PER_NODE = 3;

  private EtcdProcess etcd;
  private MetasrvCluster cluster;
  private SimulatedNodes nodes;
  private final List<SimulatedDatanode> datanodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

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
  void failedRegionsMoveExceptDuringMaintenanceOrAPauseAndMoveOnceThatEnds() throws Exception {
    Path dir = Files.createTempDirectory("metasrv-failover-");
    Path config = dir.resolve("failover.toml");
    Files.writeString(config, "enable_region_failover = true\n\n[wal]\nprovider = \"kafka\"\n"
        + "broker_endpoints = [\"127.0.0.1:9092\"]\n");
    etcd = EtcdProcess.start();
    cluster = MetasrvCluster.start(3, List.of("--backend", "etcd_store", "--store-addrs",
        "127.0.0.1:" + etcd.clientPort(), "-c", config.toString()), dir);
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    List<RegionRoute> routes = new ArrayList<>();
    for (long number = 1; number <= 2 * REGIONS_PER_NODE; number++) {
      long owner = number <= REGIONS_PER_NODE ? 1 : 2;
      routes.add(RegionRoute.led(Region.of(region(number)), new Peer(owner, addr(owner))));
    }
    MetaCalls.writeTable(leader.serverAddr(), TABLE, routes);
    nodes = new SimulatedNodes(cluster.nodes().stream().map(MetasrvNode::serverAddr).toList(),
        MonotonicClock.SYSTEM);
    for (long id = 1; id <= 4; id++) {
      SimulatedDatanode datanode = nodes.datanode(id, addr(id)).withHeartbeatInterval(INTERVAL);
      for (long number = 1; number <= 2 * REGIONS_PER_NODE; number++) {
        if (routes.get((int) number - 1).ledBy(id)) {
          datanode.withRegion(region(number), RegionRole.Leader);
        }
      }
      datanodes.add(datanode);
      datanode.start().get(30, TimeUnit.SECONDS);
    }
    await("datanodes 1 and 2 to lead their regions").atMost(Duration.ofSeconds(20))
        .until(() -> LongStream.rangeClosed(1, 2 * REGIONS_PER_NODE)
            .allMatch(n -> datanode(n <= REGIONS_PER_NODE ? 1 : 2).isWritable(region(n))));

    // Maintenance mode: datanode 1 dies, its regions are found failed but stay.
    post("/admin/maintenance/enable");
    datanode(1).stop();
    awaitFailedListed(1);
    Thread.sleep(3_000);
    assertThat(leaders(1, REGIONS_PER_NODE)).containsOnly(1L);
    long maintenanceOff = System.nanoTime();
    post("/admin/maintenance/disable");
    awaitMovedAndWritable(numbers(1, REGIONS_PER_NODE), 1);
    System.out.printf("after maintenance ended, %d regions writable elsewhere in %d ms%n",
        REGIONS_PER_NODE, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - maintenanceOff));

    // Procedure manager paused: datanode 2 dies, its regions wait until it resumes.
    // (Datanode 2 may have received some of datanode 1's regions: they move too.)
    assertThat(post("/admin/procedure-manager/pause")).contains("paused");
    List<Long> onTwo = ledBy(2);
    long silencedAt = System.nanoTime();
    datanode(2).stop();
    awaitFailedListed(2);
    Thread.sleep(3_000);
    assertThat(ledBy(2)).isEqualTo(onTwo);
    assertThat(post("/admin/procedure-manager/resume")).contains("running");
    awaitMovedAndWritable(onTwo, 2);
    System.out.printf("datanode 2 silent to its regions writable elsewhere (paused meanwhile):"
        + " %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silencedAt));

    // The leader is killed as a datanode dies: its successor never hears from that datanode,
    // yet finds its regions failed from the routes and moves them to the last one alive.
    long dying = ledBy(3).isEmpty() ? 4 : 3;
    List<Long> onDying = ledBy(dying);
    MetasrvNode killed = leader();
    datanode(dying).stop();
    long killedAt = System.nanoTime();
    killed.kill9();
    MetasrvCluster.awaitLeaderAmong(cluster.others(killed), killedAt, Duration.ofSeconds(60));
    awaitMovedAndWritable(onDying, dying);
    assertThat(leaders(1, 2 * REGIONS_PER_NODE)).containsOnly(7 - dying);
    System.out.printf("leader killed as datanode %d died: its %d regions writable on datanode %d"
        + " after %d ms%n", dying, onDying.size(), 7 - dying,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

    assertThat(WritableOverlaps.find(datanodes)).isEmpty();
  }

  /**
   * The node leading now: on a loaded machine leadership may move during the test, and the
   * maintenance flag, the pause and the failed regions' fate must survive that.
   */
  private MetasrvNode leader() {
    return cluster.awaitSingleLeader(Duration.ofSeconds(60));
  }

  private void awaitFailedListed(long datanodeId) throws Exception {
    try {
      await("datanode " + datanodeId + "'s regions to be listed failed")
          .atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() ->
              get(leader(), "/admin/failed-regions").contains("\"datanode_id\":" + datanodeId));
    } catch (ConditionTimeoutException e) {
      // Once seen (1 run in 4): the leader logged nothing more after the datanode stopped.
      for (MetasrvNode node : cluster.responsive()) {
        System.out.println("=== threads of " + node + "\n" + new String(new ProcessBuilder(
            "jcmd", String.valueOf(node.pid()), "Thread.print").redirectErrorStream(true)
            .start().getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
      System.out.println(cluster.describe());
      throw e;
    }
  }

  private void awaitMovedAndWritable(List<Long> numbers, long dead) {
    await("regions " + numbers + " to move off datanode " + dead)
        .atMost(Duration.ofSeconds(180)).ignoreExceptions().until(() -> {
          PhysicalTableRouteValue route = MetaCalls.route(leader().serverAddr(), TABLE);
          for (long number : numbers) {
            RegionRoute region = route.regionRoute(region(number)).orElseThrow();
            if (region.ledBy(dead) || region.leaderDowngrading()
                || !datanode(region.leaderPeer().id()).isWritable(region(number))) {
              return false;
            }
          }
          return true;
        });
  }

  private static List<Long> numbers(long first, long last) {
    return LongStream.rangeClosed(first, last).boxed().toList();
  }

  /** The numbers of the regions the route has {@code datanodeId} lead. */
  private List<Long> ledBy(long datanodeId) {
    List<Long> all = leaders(1, 2 * REGIONS_PER_NODE);
    return LongStream.rangeClosed(1, 2 * REGIONS_PER_NODE)
        .filter(n -> all.get((int) n - 1) == datanodeId).boxed().toList();
  }

  private List<Long> leaders(long first, long last) {
    PhysicalTableRouteValue route = await("the route").atMost(Duration.ofSeconds(60))
        .ignoreExceptions().until(() -> MetaCalls.route(leader().serverAddr(), TABLE),
            read -> true);
    List<Long> leaders = new ArrayList<>();
    for (long number = first; number <= last; number++) {
      leaders.add(route.regionRoute(region(number)).orElseThrow().leaderPeer().id());
    }
    return leaders;
  }

  private SimulatedDatanode datanode(long id) {
    return datanodes.get((int) id - 1);
  }

  private String get(MetasrvNode node, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** POSTs to the leader, again to whichever node leads if the request got no answer. */
  private String post(String path) {
    return await("POST " + path).atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> http.send(HttpRequest.newBuilder(URI.create(leader().baseUrl() + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString()),
            response -> response.statusCode() == 200).body();
  }

  private static String addr(long datanodeId) {
    return "127.0.0.1:" + (14200 + datanodeId);
  }

  private static long region(long number) {
    return SimulatedDatanode.regionId(TABLE, number);
  }
}
