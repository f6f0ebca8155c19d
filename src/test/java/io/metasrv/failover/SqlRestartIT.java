package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.PrivateSqlServer;
import io.metasrv.testing.SqlServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Three {@code metasrv start} processes on a database server of the test's own ({@link
 * PrivateSqlServer}), which the test stops and starts again: the machine's shared servers are
 * never restarted, as other tests and CI runs use them at the same time. Times are printed, not
 * asserted.
 */
abstract class SqlRestartIT {
  private static final String MAINTENANCE_KEY = "__maintenance";
  /** GreptimeDB's leader lease, the nodes' default: the leader value is stale after it. */
  private static final Duration LEADER_LEASE = Duration.ofSeconds(5);

  private PrivateSqlServer server;
  private MetasrvCluster cluster;
  private Path dir;

  /** Creates and starts the server. */
  protected abstract PrivateSqlServer startServer();

  /** {@code backend} and {@code store_addrs} as a TOML file's lines. */
  protected abstract String storeConfig(String address);

  /** Whether the meta table {@code table} holds {@code key}. */
  protected abstract boolean tableHolds(PrivateSqlServer server, String table, String key);

  @RegisterExtension
  final TestWatcher logsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (cluster != null) {
        System.out.println("[" + context.getDisplayName() + "] node logs:" + cluster.describe()
            + "\n(all logs kept under " + dir + ")");
      }
      if (server != null) {
        System.out.println("[" + context.getDisplayName() + "] " + server + " log:\n"
            + server.logTail());
      }
    }
  };

  @AfterEach
  void stopEverything() {
    if (cluster != null) {
      cluster.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /**
   * The database stops (fast shutdown: every session ends) for longer than the leader lease
   * and starts again. While it is down nobody leads. The old leader is then frozen (SIGSTOP)
   * until a successor leads, so that the successor is another node (a node that lived through
   * the restart wins as often as any) and the old leader wakes with its pre-restart state and
   * the requests of writers that keep asking it to turn maintenance on: none of them may land
   * once the successor leads. Afterwards exactly one node leads under a new epoch and Store
   * writes and reads through it land in the table.
   */
  @Test
  void afterTheDatabaseRestartsOneNodeLeadsUnderANewEpochAndTheOldEpochWritesNothing()
      throws Exception {
    long began = System.nanoTime();
    server = startServer();
    long serverUp = System.nanoTime();
    String table = "greptime_metakv";
    dir = Files.createTempDirectory("metasrv-sql-restart-");
    Path config = dir.resolve("store.toml");
    Files.writeString(config, storeConfig(server.address()));
    cluster = MetasrvCluster.start(3, List.of("-c", config.toString()), dir);
    MetasrvNode old = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    long clusterUp = System.nanoTime();
    long oldEpoch = old.epoch();
    assertThat(old.setMaintenance(true, Duration.ofSeconds(10)).orElseThrow().statusCode())
        .isEqualTo(200);
    assertThat(tableHolds(server, table, MAINTENANCE_KEY)).as("maintenance key before").isTrue();

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger accepted = new AtomicInteger();
    ExecutorService writers = Executors.newFixedThreadPool(2);
    for (int i = 0; i < 2; i++) {
      writers.execute(() -> {
        while (writing.get()) {
          old.setMaintenance(true, Duration.ofSeconds(5))
              .filter(response -> response.statusCode() == 200)
              .ifPresent(response -> accepted.incrementAndGet());
        }
      });
    }
    try {
      long stoppedAt = System.nanoTime();
      server.stop();
      await("no node to lead while the database is down").atMost(Duration.ofSeconds(30))
          .pollInterval(MetasrvCluster.POLL)
          .until(() -> cluster.responsive().stream().noneMatch(n -> "leader".equals(n.health())));
      old.sigstop();
      Thread.sleep(Math.max(0, LEADER_LEASE.plusSeconds(1).toMillis()
          - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt)));
      assertThat(cluster.others(old)).as("the other nodes alive while the database is down")
          .allMatch(MetasrvNode::isAlive);

      long startedAt = System.nanoTime();
      server.start();
      MetasrvNode leader = MetasrvCluster.awaitLeaderAmong(cluster.others(old), startedAt,
          Duration.ofSeconds(30)).leader();
      System.out.printf("[%s] server up %d ms, cluster up %d ms; database down %d ms;"
              + " %s leads %d ms after it started again (epoch %d -> %d)%n",
          getClass().getSimpleName(), TimeUnit.NANOSECONDS.toMillis(serverUp - began),
          TimeUnit.NANOSECONDS.toMillis(clusterUp - serverUp),
          TimeUnit.NANOSECONDS.toMillis(startedAt - stoppedAt), leader.name(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt), oldEpoch,
          leader.epoch());
      assertThat(leader.epoch()).isGreaterThan(oldEpoch);

      int acceptedBeforeWaking = accepted.get();
      old.sigcont();
      MetasrvCluster.awaitHealth(old, "follower"::equals, "follows after waking",
          Duration.ofSeconds(30));
      assertThat(leader.setMaintenance(false, Duration.ofSeconds(10)).orElseThrow()
          .statusCode()).isEqualTo(200);
      Thread.sleep(2000); // the writers keep at the old leader meanwhile
      assertThat(accepted.get()).as("old leader's writes accepted after it woke")
          .isEqualTo(acceptedBeforeWaking);
      assertThat(tableHolds(server, table, MAINTENANCE_KEY)).as("maintenance turned on again")
          .isFalse();

      byte[] key = "restart-it/after".getBytes(StandardCharsets.UTF_8);
      byte[] value = "served".getBytes(StandardCharsets.UTF_8);
      // each call opens a channel, which alone can take seconds on a loaded machine
      await("a Store put and get through " + leader.name()).atMost(Duration.ofSeconds(40))
          .ignoreExceptions().untilAsserted(() -> {
            MetaCalls.put(leader.serverAddr(), key, value);
            assertThat(MetaCalls.get(leader.serverAddr(), key)).hasValueSatisfying(
                read -> assertThat(read).isEqualTo(value));
          });
      assertThat(tableHolds(server, table, "restart-it/after")).as("Store put in the table")
          .isTrue();
    } finally {
      writing.set(false);
      if (old.isStopped()) {
        old.sigcont();
      }
      writers.shutdown();
      writers.awaitTermination(20, TimeUnit.SECONDS);
    }
    assertThat(cluster.responsive().stream().filter(n -> "leader".equals(n.health())).count())
        .as("leaders once the writers stopped").isEqualTo(1);
    assertThat(cluster.currentLeader()).isPresent();
    System.out.printf("[%s] whole case %d ms%n", getClass().getSimpleName(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
  }

  /** The first column of the first row of {@code query} on {@code server}'s database. */
  static long queryLong(PrivateSqlServer server, String query) {
    return SqlServers.queryLong(server.endpoint(), query);
  }
}
