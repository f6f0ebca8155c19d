package io.metasrv.election.rds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.election.Election;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.ElectionContractTest;
import io.metasrv.election.kubernetes.TcpProxy;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.RdsKvConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The election contract on a SQL store. Every node reaches the database through a proxy of its
 * own, so that a crash can cut its connections the way a dead machine's would end.
 */
abstract class RdsElectionContractTest extends ElectionContractTest {
  /** A 2 s leader lease renewed every 400 ms; followers try the lock every 100 ms. */
  static final RdsElectionConfig FAST = new RdsElectionConfig(Duration.ofSeconds(2),
      Duration.ofMillis(400), Duration.ofMillis(100), Duration.ofSeconds(60),
      Duration.ofSeconds(30), Duration.ofMillis(200), Duration.ofSeconds(3));

  private final Map<Election, TcpProxy> proxies = new HashMap<>();
  private RdsEndpoint database;

  /** The database, after checking it answers. */
  protected abstract RdsEndpoint database();

  /** Creates the meta table (as the store does before the election starts). */
  protected abstract void createTable(RdsKvConfig config, KvLimits limits);

  protected abstract ElectionSql electionSql(String table);

  protected abstract String table();

  /** Ends, from the server's side, the session that holds the election lock. */
  protected abstract void killLockHolderSession(RdsEndpoint database);

  @Test
  void aLeaderWhoseSessionTheServerEndsStepsDownBeforeAPeerLeads() {
    startNodes(3);
    Node first = awaitSingleLeader(Duration.ofSeconds(10));

    killLockHolderSession(database);

    await("the leader to step down").atMost(FAST.leaderLeaseTtl().plusSeconds(3))
        .until(() -> first.lastEvent().orElseThrow().change() instanceof LeaderChange.StepDown);
    Node next = awaitSingleLeader(FAST.leaderLeaseTtl().plusSeconds(5));
    assertThat(next.lastTerm()).isGreaterThan(first.lastTerm());
  }

  @BeforeEach
  void createMetaTable() {
    database = database();
    io.metasrv.testing.SqlServers.dropTable(database, table());
    createTable(RdsKvConfig.of(database, table()), KvLimits.DEFAULT);
  }

  @Override
  protected Election newElection(String addr) {
    try {
      TcpProxy proxy = new TcpProxy(database.port());
      closeAfterNodes(proxy);
      RdsEndpoint throughProxy = new RdsEndpoint(database.flavor(), "127.0.0.1",
          Integer.parseInt(proxy.url().substring(proxy.url().lastIndexOf(':') + 1)),
          database.database(), database.user(), database.password(),
          database.driverProperties());
      RdsElection election = new RdsElection(throughProxy, electionSql(table()), "", FAST,
          System::nanoTime, new SimpleMeterRegistry());
      proxies.put(election, proxy);
      return election;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected void crash(Election election) {
    try {
      proxies.get(election).cut();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    election.close();
  }

  @Override
  protected Duration plannedHandover() {
    return Duration.ofMillis(1500);
  }

  @Override
  protected Duration crashHandover() {
    return FAST.leaderLeaseTtl().plusSeconds(3);
  }
}
