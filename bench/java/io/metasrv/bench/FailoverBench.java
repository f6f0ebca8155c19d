package io.metasrv.bench;

import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvCluster.Takeover;
import io.metasrv.testing.MetasrvNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Failover time of three {@code metasrv start} processes on one fresh etcd: how long from a
 * fault to the leader until another node's {@code /health} says {@code leader}.
 *
 * <p>(a) kill -9 of the leader (unplanned: the others wait out its 5 s lease; target at most
 * lease + 1 s = 6 s); (b) SIGTERM of the leader (planned: it resigns; target under 1 s). After
 * each round the faulted node is started again and rejoins as a follower, so every round starts
 * from three nodes. Run it with {@code bench/failover [rounds]} (default 10 per case).
 */
public final class FailoverBench {
  private static final Duration CRASH_TARGET = Duration.ofSeconds(6);
  private static final Duration PLANNED_TARGET = Duration.ofSeconds(1);

  private enum Fault { KILL_9, SIGTERM }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    if (!Files.isRegularFile(MetasrvNode.JAR)) {
      throw new IllegalStateException(MetasrvNode.JAR + " is missing; build it with "
          + "`mvn -B -q -DskipTests package`");
    }
    Path dir = Files.createTempDirectory("metasrv-failover-bench-");
    List<Duration> crash;
    List<Duration> planned;
    try (EtcdProcess etcd = EtcdProcess.start();
        MetasrvCluster cluster = MetasrvCluster.start(3, "127.0.0.1:" + etcd.clientPort(), dir)) {
      System.out.printf("failover bench: 3 nodes on %s, %d rounds per case, logs under %s%n",
          etcd.endpoint(), rounds, dir);
      crash = run(cluster, Fault.KILL_9, rounds);
      planned = run(cluster, Fault.SIGTERM, rounds);
    }
    System.out.println();
    boolean crashOk = report("(a) kill -9 leader -> new leader serving", crash, CRASH_TARGET,
        "<=", max(crash).compareTo(CRASH_TARGET) <= 0);
    boolean plannedOk = report("(b) SIGTERM leader -> new leader serving", planned,
        PLANNED_TARGET, "<", max(planned).compareTo(PLANNED_TARGET) < 0);
    System.exit(crashOk && plannedOk ? 0 : 1);
  }

  private static List<Duration> run(MetasrvCluster cluster, Fault fault, int rounds) {
    List<Duration> times = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      MetasrvNode leader = cluster.awaitSettled(Duration.ofSeconds(60));
      long faultAt = System.nanoTime();
      if (fault == Fault.KILL_9) {
        leader.kill9();
      } else {
        leader.sigterm();
      }
      Takeover takeover = MetasrvCluster.awaitLeaderAmong(cluster.others(leader), faultAt,
          Duration.ofSeconds(30));
      times.add(takeover.elapsed());
      String exit = "";
      if (fault == Fault.SIGTERM) {
        exit = ", exit code " + leader.awaitExit(Duration.ofSeconds(30));
      }
      System.out.printf("%-7s round %2d: %s -> %s leads after %5d ms%s%n", fault, round,
          leader.name(), takeover.leader().name(), takeover.elapsed().toMillis(), exit);
      leader.restart();
      MetasrvCluster.awaitHealth(leader, "follower"::equals, "rejoins as follower",
          Duration.ofSeconds(60));
    }
    return times;
  }

  private static boolean report(String what, List<Duration> times, Duration target, String op,
      boolean ok) {
    System.out.printf("%s: median %d ms, max %d ms over %d rounds (target %s %d ms): %s%n",
        what, median(times).toMillis(), max(times).toMillis(), times.size(), op,
        target.toMillis(), ok ? "met" : "MISSED");
    return ok;
  }

  private static Duration median(List<Duration> times) {
    List<Duration> sorted = times.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2)
        : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2);
  }

  private static Duration max(List<Duration> times) {
    return times.stream().max(Duration::compareTo).orElseThrow();
  }
}
