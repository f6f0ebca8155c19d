package io.metasrv.failover;

import static io.metasrv.testing.MetasrvCluster.awaitHealth;
import static io.metasrv.testing.MetasrvCluster.awaitLeaderAmong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvCluster.Takeover;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.SqlServers;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Three {@code metasrv start} processes on a SQL store, electing through its session lock:
 * one leader, kill -9, SIGTERM, the leader's election session ended by the database, and every
 * session of the nodes ended at once as by a database restart (a real restart: {@link
 * SqlRestartIT}). Each test class has a table (and
 * election lock) of its own; times are printed, not asserted.
 */
abstract class SqlFailoverIT {
  private static final String EPOCH_KEY = "__metasrv_leader_epoch";
  private static final String MAINTENANCE_KEY = "__maintenance";

  private MetasrvCluster cluster;
  private Path dir;
  protected RdsEndpoint database;

  /** The database, after checking that it answers. */
  protected abstract RdsEndpoint database();

  /** {@code backend}, {@code store_addrs} and the election lock as a TOML file's lines. */
  protected abstract String storeConfig();

  protected abstract String table();

  /** Ends, from the database's side, the session that holds the election lock. */
  protected abstract void killLockHolderSession();

  /**
   * Ends, from the database's side, every session of this test's nodes (they log in with an
   * application name or user of their own), which is what a restart of the database looks like
   * to them.
   */
  protected abstract void endEverySessionOfTheNodes();

  /** Whether the meta table holds {@code key}. */
  protected abstract boolean tableHolds(String key);

  @RegisterExtension
  final TestWatcher logsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (cluster != null) {
        System.out.println("[" + context.getDisplayName() + "] node logs:" + cluster.describe()
            + "\n(all logs kept under " + dir + ")");
      }
    }
  };

  @BeforeEach
  void startThreeNodes() throws IOException {
    database = database();
    SqlServers.dropTable(database, table());
    dir = Files.createTempDirectory("metasrv-sql-failover-");
    Path config = dir.resolve("store.toml");
    Files.writeString(config, storeConfig() + "meta_table_name = \"" + table() + "\"\n");
    cluster = MetasrvCluster.start(3, List.of("-c", config.toString()), dir);
  }

  @AfterEach
  void killEverything() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void threeNodesElectOneLeaderWhoseWritesLandInTheMetaTable() {
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    await("every node names " + leader + " as leader").atMost(Duration.ofSeconds(10))
        .pollInterval(MetasrvCluster.POLL)
        .untilAsserted(() -> {
          for (MetasrvNode node : cluster.nodes()) {
            assertThat(node.leaderAddr()).as(node.name()).contains(leader.serverAddr());
          }
        });
    assertThat(leader.epoch()).isPositive();
    assertThat(tableHolds(EPOCH_KEY)).as("epoch key in the meta table").isTrue();

    HttpResponse<String> enabled = leader.setMaintenance(true, Duration.ofSeconds(10))
        .orElseThrow();
    assertThat(enabled.statusCode()).isEqualTo(200);
    assertThat(tableHolds(MAINTENANCE_KEY)).as("maintenance key in the meta table").isTrue();
    for (MetasrvNode node : cluster.nodes()) {
      assertThat(node.maintenance()).as("maintenance read on " + node.name()).contains(true);
    }
  }

  @Test
  void killingTheLeaderElectsAnother() {
    MetasrvNode old = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    long oldEpoch = old.epoch();

    long killedAt = System.nanoTime();
    old.kill9();
    Takeover takeover = awaitLeaderAmong(cluster.others(old), killedAt, Duration.ofSeconds(30));
    System.out.printf("[%s] kill -9 leader %s -> %s leads after %d ms%n",
        getClass().getSimpleName(), old.name(), takeover.leader().name(),
        takeover.elapsed().toMillis());
    assertThat(takeover.leader().epoch()).isGreaterThan(oldEpoch);

    old.restart();
    awaitHealth(old, "follower"::equals, "rejoins as follower", Duration.ofSeconds(30));
    assertThat(cluster.awaitSettled(Duration.ofSeconds(30))).isSameAs(takeover.leader());
  }

  @Test
  void sigtermHandsLeadershipOverAndExitsZero() {
    MetasrvNode old = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    long oldEpoch = old.epoch();

    long signalledAt = System.nanoTime();
    old.sigterm();
    Takeover takeover = awaitLeaderAmong(cluster.others(old), signalledAt,
        Duration.ofSeconds(20));
    System.out.printf("[%s] SIGTERM leader %s -> %s leads after %d ms%n",
        getClass().getSimpleName(), old.name(), takeover.leader().name(),
        takeover.elapsed().toMillis());
    assertThat(takeover.leader().epoch()).isGreaterThan(oldEpoch);
    assertThat(old.awaitExit(Duration.ofSeconds(20))).as("exit code after SIGTERM").isZero();
    assertThat(old.logTail(200)).contains("received SIGTERM").contains("leader stepped down");
  }

  /**
   * A database restart, as the nodes see it: every session they hold (each node's election
   * session and store pool) ends at once, while the database keeps answering. The machine's
   * PostgreSQL and MariaDB themselves are not restarted: other tests, from other worktrees and CI
   * runs on this machine, use the same servers at the same time; {@link SqlRestartIT} stops and
   * starts a server of its own. Afterwards one node leads under a new epoch, its writes land, and
   * no other node claims to lead.
   */
  @Test
  void everySessionEndedAsByADatabaseRestartLeavesOneLeaderUnderANewEpoch() throws Exception {
    MetasrvNode old = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    long oldEpoch = old.epoch();

    long endedAt = System.nanoTime();
    endEverySessionOfTheNodes();
    await("a leader under an epoch above " + oldEpoch).atMost(Duration.ofSeconds(30))
        .pollInterval(MetasrvCluster.POLL)
        .until(() -> cluster.currentLeader().filter(n -> n.epoch() > oldEpoch).isPresent());
    MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(30));
    System.out.printf("[%s] every session ended -> %s leads after %d ms (epoch %d -> %d)%n",
        getClass().getSimpleName(), leader.name(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - endedAt), oldEpoch, leader.epoch());
    assertThat(leader.epoch()).isGreaterThan(oldEpoch);

    assertThat(leader.setMaintenance(true, Duration.ofSeconds(10)).orElseThrow().statusCode())
        .isEqualTo(200);
    assertThat(tableHolds(MAINTENANCE_KEY)).as("maintenance key written after the sessions ended")
        .isTrue();
    Thread.sleep(2000); // a node that missed the loss of its session would show up as leader
    assertThat(cluster.responsive().stream().filter(n -> "leader".equals(n.health())).count())
        .as("leaders 2 s later").isEqualTo(1);
    assertThat(cluster.currentLeader()).contains(leader);
  }

  /**
   * The database ends the leader's election session (the lock is released at once, the leader
   * value lives on until it expires). Writers keep asking the old leader to turn maintenance on
   * throughout; once a successor leads and has turned it off, none of those requests may land.
   */
  @Test
  void aLeaderWhoseSessionTheDatabaseEndsIsReplacedAndItsWritesStopLanding() throws Exception {
    MetasrvNode old = cluster.awaitSingleLeader(Duration.ofSeconds(20));
    long oldEpoch = old.epoch();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger accepted = new AtomicInteger();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 4; i++) {
      writers.execute(() -> {
        while (writing.get()) {
          old.setMaintenance(true, Duration.ofSeconds(5))
              .filter(response -> response.statusCode() == 200)
              .ifPresent(response -> accepted.incrementAndGet());
        }
      });
    }
    try {
      long killedAt = System.nanoTime();
      killLockHolderSession();
      await("the old leader to stop leading or lead again under a new epoch")
          .atMost(Duration.ofSeconds(30)).pollInterval(MetasrvCluster.POLL)
          .until(() -> !"leader".equals(old.health()) || old.epoch() > oldEpoch);
      MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(30));
      System.out.printf("[%s] leader session ended -> %s leads after %d ms (epoch %d -> %d)%n",
          getClass().getSimpleName(), leader.name(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt), oldEpoch,
          leader.epoch());
      assertThat(leader.epoch()).isGreaterThan(oldEpoch);
      if (leader == old) {
        System.out.printf("[%s] the old leader won again under a new epoch%n",
            getClass().getSimpleName());
        return;
      }
      assertThat(leader.setMaintenance(false, Duration.ofSeconds(10)).orElseThrow()
          .statusCode()).isEqualTo(200);
      int acceptedBefore = accepted.get();
      Thread.sleep(2000); // the writers keep at the old leader meanwhile
      assertThat(accepted.get()).as("old leader's writes accepted after the successor's")
          .isEqualTo(acceptedBefore);
      assertThat(tableHolds(MAINTENANCE_KEY)).as("maintenance turned on again").isFalse();
      assertThat(cluster.currentLeader()).contains(leader);
    } finally {
      writing.set(false);
      writers.shutdown();
      writers.awaitTermination(20, TimeUnit.SECONDS);
    }
    assertThat(cluster.responsive().stream().filter(n -> "leader".equals(n.health())).count())
        .as("leaders once the writers stopped").isEqualTo(1);
    Optional<MetasrvNode> leader = cluster.currentLeader();
    assertThat(leader).isPresent();
  }
}
