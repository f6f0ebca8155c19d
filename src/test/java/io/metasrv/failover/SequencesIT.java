package io.metasrv.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The table id sequence under leader faults: three {@code metasrv start} processes on a real
 * etcd, 16 allocators calling {@code POST /admin/sequence/table/allocate} on whichever node
 * leads, while for 60 s the leader is killed (kill -9, then restarted) or frozen longer than its
 * election lease (SIGSTOP, then SIGCONT) in turn. Every id handed out must be unique across all
 * allocators and increasing for each allocator, whatever node handed it out.
 *
 * <p>An allocator is what a client of the admin route is: it asks the node it believes leads,
 * follows a NotLeader answer to the leader it names, and otherwise asks the nodes who leads
 * ({@code /admin/leader}); a request that times out is given up (its id, if one was handed out,
 * is a gap, never seen by anyone).
 */
class SequencesIT {
  private static final int ALLOCATORS = 16;
  private static final Duration FAULTS_FOR = Duration.ofSeconds(60);
  /** The etcd leader lease (GreptimeDB's META_LEASE_SECS); a freeze lasts longer. */
  private static final Duration LEASE = Duration.ofSeconds(5);
  private static final Duration FREEZE = LEASE.plusMillis(1500);
  /** How long a new leader serves before the next fault: faults land on allocations in flight. */
  private static final Duration SERVING_BETWEEN_FAULTS = Duration.ofMillis(1500);
  /**
   * Half the allocators give a request up after 2 s and go elsewhere; the other half wait
   * longer than a freeze, so their requests queued at a frozen leader are answered when it wakes
   * (a woken leader past its lease must refuse, or answer only what it handed out before).
   */
  private static final Duration IMPATIENT = Duration.ofSeconds(2);
  private static final Duration PATIENT = FREEZE.plusSeconds(5);
  private static final Duration RETRY_PAUSE = Duration.ofMillis(50);
  private static final Pattern TABLE_ID = Pattern.compile("^\\{\"table_id\":(\\d+)}$");
  private static final Pattern LEADER_NAMED = Pattern.compile("the leader is (\\S+)");

  private EtcdProcess etcd;
  private MetasrvCluster cluster;
  private Path dir;

  @RegisterExtension
  final TestWatcher logsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (cluster != null) {
        System.out.println("[" + context.getDisplayName() + "] node logs:" + cluster.describe()
            + "\n(all logs kept under " + dir + ")");
      }
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        System.out.println("could not delete " + dir + ": " + e);
      }
    }
  };

  @BeforeEach
  void startEtcdAndThreeNodes() throws IOException {
    dir = Files.createTempDirectory("metasrv-sequences-");
    long starting = System.nanoTime();
    etcd = EtcdProcess.start();
    cluster = MetasrvCluster.start(3, "127.0.0.1:" + etcd.clientPort(), dir);
    System.out.printf("etcd and three nodes up in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - starting));
  }

  @AfterEach
  void killEverything() {
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void tableIdsStayUniqueAndIncreasingWhileTheLeaderIsKilledAndFrozen() throws Exception {
    cluster.awaitSingleLeader(Duration.ofSeconds(10));
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(ALLOCATORS);
    List<Allocator> allocators = new ArrayList<>();
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < ALLOCATORS; i++) {
      Allocator allocator = new Allocator(running, i % 2 == 0 ? IMPATIENT : PATIENT);
      allocators.add(allocator);
      done.add(pool.submit(allocator));
    }

    List<String> faults = new ArrayList<>();
    long faultsUntil = System.nanoTime() + FAULTS_FOR.toNanos();
    try {
      boolean kill = true;
      // Only faults that end within the window: the run stays near 60 s of faults.
      while (System.nanoTime() + SERVING_BETWEEN_FAULTS.plus(FREEZE).toNanos() < faultsUntil) {
        MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(30));
        Thread.sleep(SERVING_BETWEEN_FAULTS.toMillis());
        if (kill) {
          leader.kill9();
          leader.restart();
          faults.add("kill -9 " + leader.name());
        } else {
          Duration freezing = leader.sigstop();
          Thread.sleep(FREEZE.toMillis());
          leader.sigcont();
          faults.add("SIGSTOP " + leader.name() + " " + FREEZE.toMillis() + " ms (frozen after "
              + freezing.toMillis() + " ms)");
        }
        kill = !kill;
        System.out.printf("fault %d: %s; %d ids so far%n", faults.size(),
            faults.get(faults.size() - 1), handedOut(allocators));
      }
      // Every allocator gets ids again once the faults stop.
      cluster.awaitSingleLeader(Duration.ofSeconds(30));
      int[] before = allocators.stream().mapToInt(Allocator::count).toArray();
      await("every allocator gets an id after the last fault").atMost(Duration.ofSeconds(15))
          .until(() -> IntStream.range(0, ALLOCATORS)
              .allMatch(i -> allocators.get(i).count() > before[i]));
    } finally {
      running.set(false);
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("allocators stop").isTrue();
    }
    for (Future<?> allocator : done) {
      allocator.get(); // an allocator that failed fails the test
    }

    List<long[]> perAllocator = allocators.stream().map(Allocator::ids).toList();
    long[] all = perAllocator.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    long duplicates = 0;
    for (int i = 1; i < all.length; i++) {
      if (all[i] == all[i - 1]) {
        duplicates++;
      }
    }
    List<String> notIncreasing = new ArrayList<>();
    for (int a = 0; a < perAllocator.size(); a++) {
      long[] ids = perAllocator.get(a);
      for (int i = 1; i < ids.length; i++) {
        if (ids[i] <= ids[i - 1]) {
          notIncreasing.add("allocator " + a + ": " + ids[i - 1] + " then " + ids[i]);
        }
      }
    }
    long gaps = all.length == 0 ? 0 : all[all.length - 1] - all[0] + 1 - all.length;
    System.out.printf("sequences: %d ids handed out to %d allocators (%d to %d, %d ids skipped"
            + " as gaps), %d faults injected (%d kill -9, %d SIGSTOP), %d duplicates, %d out of"
            + " order; per allocator %s; refusals followed %d, requests without an answer %d,"
            + " answers that took longer than the lease %d (%d of them ids)%n",
        all.length, ALLOCATORS, all.length == 0 ? 0 : all[0],
        all.length == 0 ? 0 : all[all.length - 1], gaps, faults.size(),
        faults.stream().filter(f -> f.startsWith("kill")).count(),
        faults.stream().filter(f -> f.startsWith("SIGSTOP")).count(), duplicates,
        notIncreasing.size(), perAllocator.stream().map(ids -> ids.length).toList(),
        allocators.stream().mapToLong(a -> a.refusals).sum(),
        allocators.stream().mapToLong(a -> a.unanswered).sum(),
        allocators.stream().mapToLong(a -> a.lateAnswers).sum(),
        allocators.stream().mapToLong(a -> a.lateIds).sum());

    assertThat(faults.stream().filter(f -> f.startsWith("kill"))).as("kills").isNotEmpty();
    assertThat(faults.stream().filter(f -> f.startsWith("SIGSTOP"))).as("freezes").isNotEmpty();
    assertThat(duplicates).as("ids handed out twice").isZero();
    assertThat(notIncreasing).as("ids not increasing for one allocator").isEmpty();
    assertThat(all).as("ids handed out").isNotEmpty();
    assertThat(all[0]).as("smallest id (0-1023 are system tables)").isGreaterThanOrEqualTo(1024);
  }

  private static long handedOut(List<Allocator> allocators) {
    return allocators.stream().mapToLong(Allocator::count).sum();
  }

  /** One client allocating table ids one after the other, following the leader. */
  private final class Allocator implements Runnable {
    private final AtomicBoolean running;
    private final Duration timeout;
    private long[] ids = new long[1024]; // guarded by this
    private int count; // guarded by this
    private MetasrvNode target;
    private volatile long refusals;
    private volatile long unanswered;
    private volatile long lateAnswers;
    private volatile long lateIds;

    Allocator(AtomicBoolean running, Duration timeout) {
      this.running = running;
      this.timeout = timeout;
    }

    @Override
    public void run() {
      while (running.get()) {
        if (target == null && (target = findLeader().orElse(null)) == null) {
          pause();
          continue;
        }
        HttpResponse<String> response;
        long sent = System.nanoTime();
        try {
          response = target.sendOrThrow("POST", "/admin/sequence/table/allocate", timeout);
        } catch (IOException e) {
          unanswered++;
          target = null;
          pause();
          continue;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        boolean late = System.nanoTime() - sent > LEASE.toNanos();
        if (late) {
          lateAnswers++;
        }
        Matcher id = TABLE_ID.matcher(response.body().trim());
        if (response.statusCode() == 200 && id.matches()) {
          record(Long.parseLong(id.group(1)));
          if (late) {
            lateIds++;
          }
          continue;
        }
        if (response.statusCode() != 503) {
          throw new AssertionError("allocate answered " + response.statusCode() + ": "
              + response.body());
        }
        refusals++;
        Matcher leader = LEADER_NAMED.matcher(response.body());
        target = leader.find() ? nodeAt(leader.group(1)).orElse(null) : null;
        pause();
      }
    }

    /** The leader as the nodes name it on {@code /admin/leader}. */
    private Optional<MetasrvNode> findLeader() {
      for (MetasrvNode node : cluster.responsive()) {
        Optional<MetasrvNode> leader = node.leaderAddr().flatMap(SequencesIT.this::nodeAt);
        if (leader.isPresent()) {
          return leader;
        }
      }
      return Optional.empty();
    }

    private synchronized void record(long id) {
      if (count == ids.length) {
        ids = Arrays.copyOf(ids, count * 2);
      }
      ids[count++] = id;
    }

    synchronized long[] ids() {
      return Arrays.copyOf(ids, count);
    }

    synchronized int count() {
      return count;
    }

    private void pause() {
      try {
        Thread.sleep(RETRY_PAUSE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        running.set(false);
      }
    }
  }

  private Optional<MetasrvNode> nodeAt(String serverAddr) {
    return cluster.nodes().stream().filter(n -> n.serverAddr().equals(serverAddr)).findFirst();
  }
}
