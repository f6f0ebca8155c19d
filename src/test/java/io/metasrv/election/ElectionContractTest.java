package io.metasrv.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Election} must do, run against each implementation by a subclass.
 *
 * <p>Every test runs real nodes of one implementation against its real backend. After each
 * test, every node's events must alternate Elected / StepDown starting with Elected, and no
 * node may have been elected while another still said it was leader.
 */
public abstract class ElectionContractTest {

  /** A new, not yet started election for the node advertising {@code addr}. */
  protected abstract Election newElection(String addr);

  /**
   * Ends a started election the way a crashed node would: it releases nothing, so its peers
   * only take over once its hold on leadership expires in the backend.
   */
  protected abstract void crash(Election election);

  /** How soon a peer must lead after the leader resigned or closed. */
  protected abstract Duration plannedHandover();

  /** How soon a peer must lead after the leader crashed. */
  protected abstract Duration crashHandover();

  /** Closed after every node has been closed, in reverse order of registration. */
  protected final void closeAfterNodes(AutoCloseable resource) {
    resources.add(resource);
  }

  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();

  /** A started node and the leadership changes it was told about, with when. */
  protected final class Node {
    public final MetasrvNodeInfo info;
    public final Election election;
    public final List<Recorded> events = new CopyOnWriteArrayList<>();
    volatile boolean stopped;

    Node(MetasrvNodeInfo info, Election election) {
      this.info = info;
      this.election = election;
    }

    public String addr() {
      return info.addr();
    }

    public Optional<Recorded> lastEvent() {
      return events.isEmpty() ? Optional.empty() : Optional.of(events.get(events.size() - 1));
    }

    /** Whether this node leads now and has been told so. */
    public boolean leadsAndKnowsIt() {
      return election.isLeader()
          && lastEvent().map(e -> e.change() instanceof LeaderChange.Elected).orElse(false);
    }

    public long lastTerm() {
      for (int i = events.size() - 1; i >= 0; i--) {
        if (events.get(i).change() instanceof LeaderChange.Elected elected) {
          return elected.term();
        }
      }
      throw new AssertionError(addr() + " was never elected");
    }

    public void close() {
      stopped = true;
      election.close();
    }

    public void crash() {
      stopped = true;
      ElectionContractTest.this.crash(election);
    }

    @Override
    public String toString() {
      return addr();
    }
  }

  /** A leadership change and the {@link System#nanoTime()} it was delivered at. */
  public record Recorded(LeaderChange change, long atNanos) {}

  protected final Node startNode(String addr) {
    MetasrvNodeInfo info = new MetasrvNodeInfo(addr, "0.1.0-test", "abc1234567",
        1_700_000_000_000L + nodes.size());
    Node node = new Node(info, newElection(addr));
    nodes.add(node);
    node.election.start(info, change -> {
      node.events.add(new Recorded(change, System.nanoTime()));
      if (change instanceof LeaderChange.Elected) {
        for (Node other : nodes) {
          if (other != node && other.election.isLeader()) {
            violations.add(node + " was elected while " + other + " still said it leads");
          }
        }
      }
    });
    return node;
  }

  protected final List<Node> startNodes(int count) {
    List<Node> started = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      started.add(startNode("127.0.0." + i + ":3002"));
    }
    return started;
  }

  protected final List<Node> liveNodes() {
    return nodes.stream().filter(n -> !n.stopped).toList();
  }

  /** Waits until exactly one live node leads and knows it, and returns it. */
  protected final Node awaitSingleLeader(Duration within) {
    await("a single leader").atMost(within).pollInterval(Duration.ofMillis(10))
        .until(() -> liveNodes().stream().filter(Node::leadsAndKnowsIt).count() == 1
            && liveNodes().stream().filter(n -> n.election.isLeader()).count() == 1);
    return liveNodes().stream().filter(Node::leadsAndKnowsIt).findFirst().orElseThrow();
  }

  /** Waits until a live node other than {@code previous} leads, and returns it. */
  protected final Node awaitNewLeader(Node previous, Duration within) {
    await("a leader other than " + previous).atMost(within).pollInterval(Duration.ofMillis(5))
        .until(() -> liveNodes().stream().anyMatch(n -> n != previous && n.leadsAndKnowsIt()));
    return liveNodes().stream().filter(n -> n != previous && n.leadsAndKnowsIt()).findFirst()
        .orElseThrow();
  }

  protected static long electedAtNanos(Node node) {
    Recorded last = node.lastEvent().orElseThrow();
    assertThat(last.change()).isInstanceOf(LeaderChange.Elected.class);
    return last.atNanos();
  }

  protected static long millisSince(long startNanos, long endNanos) {
    return TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos);
  }

  protected final void report(String what, long millis) {
    System.out.printf("[%s] %s: %d ms%n", getClass().getSimpleName(), what, millis);
  }

  @AfterEach
  void closeNodesAndCheckInvariants() throws Exception {
    try {
      for (Node node : nodes) {
        if (!node.stopped) {
          node.close();
        }
      }
    } finally {
      for (int i = resources.size() - 1; i >= 0; i--) {
        resources.get(i).close();
      }
    }
    for (Node node : nodes) {
      assertAlternating(node);
    }
    assertThat(violations).as("two leaders at once").isEmpty();
  }

  private static void assertAlternating(Node node) {
    for (int i = 0; i < node.events.size(); i++) {
      Class<?> expected = i % 2 == 0 ? LeaderChange.Elected.class : LeaderChange.StepDown.class;
      assertThat(node.events.get(i).change())
          .as("event %d of %s in %s", i, node, node.events)
          .isInstanceOf(expected);
      assertThat(node.events.get(i).change().leaderAddr()).isEqualTo(node.addr());
    }
  }

  @Test
  void exactlyOneOfThreeNodesLeads() {
    startNodes(3);
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));

    await("leadership to stay put").during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
        .until(() -> liveNodes().stream().filter(n -> n.election.isLeader()).toList()
            .equals(List.of(leader)));
    for (Node follower : liveNodes()) {
      if (follower != leader) {
        assertThat(follower.events).as("events of follower %s", follower).isEmpty();
      }
    }
  }

  @Test
  void everyNodeAgreesWhoLeads() {
    List<Node> started = startNodes(3);
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));

    await("every node to name " + leader + " as leader").atMost(Duration.ofSeconds(5))
        .until(() -> started.stream()
            .allMatch(n -> n.election.leader().equals(Optional.of(leader.addr()))));
  }

  @Test
  void resignHandsLeadershipToAPeerQuicklyAndTermsGrow() {
    startNodes(3);
    Node first = awaitSingleLeader(Duration.ofSeconds(10));

    long resignedAt = System.nanoTime();
    first.election.resign();
    assertThat(first.election.isLeader()).isFalse();
    assertThat(first.lastEvent().orElseThrow().change())
        .as("StepDown is delivered before resign() returns")
        .isEqualTo(new LeaderChange.StepDown(first.addr()));

    Node second = awaitNewLeader(first, plannedHandover());
    report("resign -> new leader", millisSince(resignedAt, electedAtNanos(second)));
    assertThat(second.lastTerm()).isGreaterThan(first.lastTerm());

    long secondResignedAt = System.nanoTime();
    second.election.resign();
    Node third = awaitNewLeader(second, plannedHandover());
    report("second resign -> new leader", millisSince(secondResignedAt, electedAtNanos(third)));
    assertThat(third.lastTerm()).isGreaterThan(second.lastTerm());
    awaitSingleLeader(Duration.ofSeconds(5));
  }

  @Test
  void resignWhenNotLeadingChangesNothing() {
    startNodes(2);
    Node leader = awaitSingleLeader(Duration.ofSeconds(10));
    Node follower = liveNodes().stream().filter(n -> n != leader).findFirst().orElseThrow();

    follower.election.resign();

    assertThat(follower.events).isEmpty();
    assertThat(leader.election.isLeader()).isTrue();
    assertThat(leader.events).hasSize(1);
  }

  @Test
  void crashedLeaderIsReplacedOnceItsHoldExpires() {
    startNodes(3);
    Node crashed = awaitSingleLeader(Duration.ofSeconds(10));

    long crashedAt = System.nanoTime();
    crashed.crash();

    Node successor = awaitNewLeader(crashed, crashHandover());
    report("crash -> new leader", millisSince(crashedAt, electedAtNanos(successor)));
    assertThat(successor.lastTerm()).isGreaterThan(crashed.lastTerm());
  }

  @Test
  void closingTheLeaderHandsOverQuickly() {
    startNodes(3);
    Node closed = awaitSingleLeader(Duration.ofSeconds(10));

    long closedAt = System.nanoTime();
    closed.close();
    assertThat(closed.lastEvent().orElseThrow().change())
        .isEqualTo(new LeaderChange.StepDown(closed.addr()));

    Node successor = awaitNewLeader(closed, plannedHandover());
    report("close -> new leader", millisSince(closedAt, electedAtNanos(successor)));
    assertThat(successor.lastTerm()).isGreaterThan(closed.lastTerm());
  }

  @Test
  void candidatesAreEveryLiveNode() {
    List<Node> started = startNodes(3);
    List<MetasrvNodeInfo> all = started.stream().map(n -> n.info).toList();

    for (Node asking : started) {
      await("candidates seen by " + asking).atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(asking.election.allCandidates())
              .containsExactlyInAnyOrderElementsOf(all));
    }

    started.get(0).close();
    for (Node asking : started.subList(1, 3)) {
      await("candidates seen by " + asking + " without the closed node")
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(asking.election.allCandidates())
              .containsExactlyInAnyOrderElementsOf(all.subList(1, 3)));
    }
  }
}
