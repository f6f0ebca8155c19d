package io.metasrv.testing;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * {@code n} {@link MetasrvNode}s electing through one etcd. Polls every 20 ms where callers
 * measure how long something takes. {@link #close()} kills every node, stopped ones included.
 */
public final class MetasrvCluster implements AutoCloseable {
  /** How often waits poll: fine enough to measure failover times to a few tens of ms. */
  public static final Duration POLL = Duration.ofMillis(20);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final List<MetasrvNode> nodes;

  private MetasrvCluster(List<MetasrvNode> nodes) {
    this.nodes = nodes;
  }

  /**
   * Starts {@code size} nodes on the etcd at {@code storeAddr} ({@code host:port}), each under
   * {@code dir/node-i}, and waits until they have settled ({@link #awaitSettled}).
   */
  public static MetasrvCluster start(int size, String storeAddr, Path dir) {
    return start(size, List.of("--backend", "etcd_store", "--store-addrs", storeAddr), dir);
  }

  /** Starts {@code size} nodes on the store {@code storeArgs} name, as {@link #start}. */
  public static MetasrvCluster start(int size, List<String> storeArgs, Path dir) {
    return start(size, storeArgs, dir, MetasrvNode.SMALL_JVM);
  }

  /**
   * Starts {@code size} nodes as {@link #start(int, List, Path)}, each JVM with {@code
   * jvmOptions} (for example a test system property) instead of {@link MetasrvNode#SMALL_JVM}.
   */
  public static MetasrvCluster start(int size, List<String> storeArgs, Path dir,
      List<String> jvmOptions) {
    List<MetasrvNode> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      nodes.add(MetasrvNode.start("node-" + i, storeArgs, dir, jvmOptions));
    }
    MetasrvCluster cluster = new MetasrvCluster(nodes);
    try {
      cluster.awaitSettled(START_TIMEOUT);
    } catch (RuntimeException | AssertionError e) {
      String state = cluster.describe();
      cluster.close();
      throw new AssertionError("cluster did not come up: " + state, e);
    }
    return cluster;
  }

  public List<MetasrvNode> nodes() {
    return nodes;
  }

  public MetasrvNode node(int i) {
    return nodes.get(i);
  }

  /** The nodes other than {@code node}. */
  public List<MetasrvNode> others(MetasrvNode node) {
    return nodes.stream().filter(n -> n != node).toList();
  }

  /** Nodes that are running and not stopped, so that they answer HTTP. */
  public List<MetasrvNode> responsive() {
    return nodes.stream().filter(n -> n.isAlive() && !n.isStopped()).toList();
  }

  /**
   * Waits until every node is running, exactly one says it leads, the others say they follow,
   * and every node names that leader on {@code /admin/leader}: a node says "follower" as soon as
   * it starts, before it has reached etcd, so health alone does not show that it could take
   * over yet. Returns the leader.
   */
  public MetasrvNode awaitSettled(Duration timeout) {
    AtomicReference<MetasrvNode> leader = new AtomicReference<>();
    await("every node serving, one leading, all naming it").atMost(timeout).pollInterval(POLL)
        .until(() -> {
          List<String> health = nodes.stream().map(MetasrvNode::health).toList();
          if (!health.stream().allMatch(h -> h.equals("leader") || h.equals("follower"))
              || health.stream().filter("leader"::equals).count() != 1) {
            return false;
          }
          MetasrvNode leading = nodes.get(health.indexOf("leader"));
          leader.set(leading);
          return nodes.stream().allMatch(
              n -> n.leaderAddr().equals(Optional.of(leading.serverAddr())));
        });
    return leader.get();
  }

  /** Waits (up to {@code timeout}) until exactly one responsive node says it leads, and returns it. */
  public MetasrvNode awaitSingleLeader(Duration timeout) {
    AtomicReference<MetasrvNode> leader = new AtomicReference<>();
    await("exactly one leader among " + responsive()).atMost(timeout).pollInterval(POLL)
        .until(() -> {
          List<MetasrvNode> leading = responsive().stream()
              .filter(n -> n.health().equals("leader")).toList();
          leader.set(leading.size() == 1 ? leading.get(0) : null);
          return leader.get() != null;
        });
    return leader.get();
  }

  /**
   * Waits until one of {@code candidates} says it leads, polling them every {@link #POLL};
   * returns it and how long that took from {@code sinceNanos} ({@link System#nanoTime()}).
   */
  public static Takeover awaitLeaderAmong(List<MetasrvNode> candidates, long sinceNanos,
      Duration timeout) {
    AtomicReference<MetasrvNode> leader = new AtomicReference<>();
    Duration shortHealth = Duration.ofMillis(500);
    await("a leader among " + candidates).atMost(timeout).pollInterval(POLL)
        .pollDelay(Duration.ZERO)
        .until(() -> {
          for (MetasrvNode node : candidates) {
            if (node.health(shortHealth).equals("leader")) {
              leader.set(node);
              return true;
            }
          }
          return false;
        });
    return new Takeover(leader.get(), Duration.ofNanos(System.nanoTime() - sinceNanos));
  }

  /** The node that took over, and how long after the fault it said it leads. */
  public record Takeover(MetasrvNode leader, Duration elapsed) {}

  /** Waits until {@code node}'s {@code /health} status satisfies {@code expected}. */
  public static void awaitHealth(MetasrvNode node, Predicate<String> expected, String what,
      Duration timeout) {
    await(node.name() + " " + what).atMost(timeout).pollInterval(POLL)
        .until(() -> expected.test(node.health()));
  }

  /** Each node's health and the end of its log, for failure messages. */
  public String describe() {
    return nodes.stream()
        .map(n -> "\n=== " + n + ": " + (n.isStopped() ? "STOPPED"
            : n.isAlive() ? n.health() : "exited " + n.process().exitValue())
            + " ===\n" + n.logTail(40))
        .collect(Collectors.joining("\n"));
  }

  /** Which node leads by each node's own account, e.g. {@code node-0=leader node-1=follower}. */
  public String healthSummary() {
    return nodes.stream().map(n -> n.name() + "="
            + (n.isStopped() ? "stopped" : n.health(Duration.ofMillis(500))))
        .collect(Collectors.joining(" "));
  }

  /** The responsive node that says it leads, if one does. */
  public Optional<MetasrvNode> currentLeader() {
    return responsive().stream().filter(n -> n.health().equals("leader")).findFirst();
  }

  @Override
  public void close() {
    nodes.forEach(MetasrvNode::close);
  }
}
