package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.selector.RoundRobinSelector;
import io.metasrv.selector.SelectTarget;
import io.metasrv.selector.SelectorCandidate;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The supervisor under a fake clock, ticked by hand. */
class RegionSupervisorTest {
  private static final long REGION = 1024L << 32 | 1;
  private static final DatanodeRegion ON_1 = new DatanodeRegion(1, REGION);

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final RegionFailureDetectors detectors =
      new RegionFailureDetectors(FailureDetectorOptions.defaults(), clock::get);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicBoolean maintenance = new AtomicBoolean();
  private final RecordingFailover failover = new RecordingFailover();
  private final List<SelectorCandidate> alive = new ArrayList<>(List.of(
      SelectorCandidate.of(1, "10.0.0.1:4001"), SelectorCandidate.of(2, "10.0.0.2:4001")));
  private BooleanSupplier maintenanceRead = maintenance::get;
  private List<DatanodeRegion> routedLeaders = List.of();
  private Supplier<List<DatanodeRegion>> supervisorReading = () -> routedLeaders;
  private final AtomicInteger aliveReads = new AtomicInteger();
  /** Most tests' supervisor runs each hand-over at once, on the ticking thread. */
  private final RegionSupervisor supervisor = supervisor(Runnable::run, registry);

  private RegionSupervisor supervisor(Executor handOvers, MeterRegistry registry) {
    return new RegionSupervisor(detectors, () -> maintenanceRead.getAsBoolean(), failover,
        new RoundRobinSelector(SelectTarget.DATANODE), () -> {
          aliveReads.incrementAndGet();
          return alive;
        }, () -> supervisorReading.get(), clock::get, handOvers, registry);
  }

  /** Heartbeats every 3 s, 1001 of them, then silence for {@code silenceMillis}. */
  private void heartbeatsThenSilence(long silenceMillis) {
    for (int beat = 0; beat < 1001; beat++) {
      detectors.heartbeat(ON_1, clock.addAndGet(3_000));
    }
    clock.addAndGet(silenceMillis);
  }

  @Test
  void aSilentRegionIsFailedAfterAboutThirteenAndAHalfSecondsAndRecordedWhenFailoverIsOff() {
    failover.enabled = false;
    heartbeatsThenSilence(13_400);
    supervisor.tick();
    assertThat(supervisor.failedRegions()).isEmpty();

    clock.addAndGet(200);
    supervisor.tick();
    assertThat(supervisor.failedRegions()).singleElement().satisfies(failed -> {
      assertThat(failed.region().region()).isEqualTo(ON_1);
      assertThat(failed.region().phi()).isGreaterThanOrEqualTo(8.0);
      assertThat(failed.sinceMillis()).isEqualTo(clock.get());
    });
    long since = clock.get();
    clock.addAndGet(1_000);
    supervisor.tick();
    assertThat(supervisor.failedRegions().get(0).sinceMillis()).isEqualTo(since);
    assertThat(failover.started).isEmpty();
    assertThat(registry.get("metasrv.region.failed").gauge().value()).isEqualTo(1);
    assertThat(registry.get("metasrv.region.watched").gauge().value()).isEqualTo(1);

    assertThat(FailedRegionsReport.json(supervisor.failedRegions())).matches(
        "\\[\\{\"datanode_id\":1,\"region_id\":4398046511105,\"table_id\":1024,"
            + "\"region_number\":1,\"phi\":\\d+\\.\\d+,\"last_heartbeat_millis\":"
            + (since - 13_600) + ",\"failed_since_millis\":" + since + "}]");

    detectors.heartbeat(ON_1, clock.get());
    supervisor.tick();
    assertThat(supervisor.failedRegions()).as("it heartbeats again").isEmpty();
  }

  @Test
  void aFailedRegionMovesToAnotherAliveDatanodeAndItsDetectorGoes() {
    heartbeatsThenSilence(20_000);
    supervisor.tick();
    assertThat(failover.started).containsExactly("datanode 1 region 4398046511105(1024, 1) -> 2");
    assertThat(detectors.contains(ON_1)).isFalse();
    assertThat(supervisor.failedRegions()).isEmpty();
    assertThat(registry.get("metasrv.region.failovers").counter().count()).isEqualTo(1);
  }

  @Test
  void nothingMovesInMaintenanceModeAndTheRegionMovesWhenItEnds() {
    heartbeatsThenSilence(20_000);
    maintenance.set(true);
    supervisor.tick();
    supervisor.tick();
    assertThat(failover.started).isEmpty();
    assertThat(supervisor.failedRegions()).hasSize(1);

    maintenance.set(false);
    supervisor.tick();
    assertThat(failover.started).hasSize(1);
  }

  @Test
  void nothingMovesWhilePausedOrWhenMaintenanceCannotBeRead() {
    heartbeatsThenSilence(20_000);
    failover.paused = true;
    supervisor.tick();
    failover.paused = false;
    maintenanceRead = () -> {
      throw new IllegalStateException("store down");
    };
    supervisor.tick();
    assertThat(failover.started).isEmpty();
    assertThat(detectors.contains(ON_1)).isTrue();

    maintenanceRead = maintenance::get;
    supervisor.tick();
    assertThat(failover.started).hasSize(1);
  }

  @Test
  void aFailoverThatCannotStartIsTriedAgainASecondLaterNotAtEveryTick() {
    heartbeatsThenSilence(20_000);
    alive.removeIf(candidate -> candidate.nodeId() == 2);
    supervisor.tick();
    assertThat(failover.started).as("only the failed datanode is alive").isEmpty();
    int attempts = aliveReads.get();

    alive.add(SelectorCandidate.of(3, "10.0.0.3:4001"));
    clock.addAndGet(RegionSupervisor.RETRY_INTERVAL.toMillis() - 1);
    supervisor.tick();
    assertThat(aliveReads.get()).as("no attempt within a second of the last").isEqualTo(attempts);

    clock.addAndGet(1);
    failover.failNext = true;
    supervisor.tick();
    assertThat(failover.started).isEmpty();
    assertThat(detectors.contains(ON_1)).isTrue();

    clock.addAndGet(RegionSupervisor.TICK_INTERVAL.toMillis());
    supervisor.tick();
    assertThat(failover.started).as("a tick after the failed attempt").isEmpty();
    clock.addAndGet(RegionSupervisor.RETRY_INTERVAL.toMillis());
    supervisor.tick();
    assertThat(failover.started).containsExactly("datanode 1 region 4398046511105(1024, 1) -> 3");
  }

  @Test
  void startingForgetsEveryDetectorAndStoppingForgetsTheFailedRegions() {
    failover.enabled = false;
    heartbeatsThenSilence(20_000);
    supervisor.tick();
    assertThat(supervisor.failedRegions()).hasSize(1);
    supervisor.stop();
    assertThat(supervisor.failedRegions()).isEmpty();

    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try {
      supervisor.start(timers);
      assertThat(detectors.size()).isZero();
    } finally {
      supervisor.stop();
      timers.shutdownNow();
    }
  }

  @Test
  void aRegionWhoseDatanodeNeverHeartbeatsToThisLeaderIsFoundFailedFromItsRoute() {
    DatanodeRegion heartbeating = new DatanodeRegion(2, REGION + 1);
    routedLeaders = List.of(ON_1, heartbeating);
    for (int beat = 0; beat < 1001; beat++) {
      detectors.heartbeat(heartbeating, clock.addAndGet(3_000));
    }
    AtomicInteger reads = new AtomicInteger();
    supervisorReading = () -> {
      if (reads.incrementAndGet() == 1) {
        throw new IllegalStateException("store down");
      }
      return routedLeaders;
    };
    supervisor.tick();
    assertThat(detectors.contains(ON_1)).as("the store could not be read").isFalse();
    supervisor.tick();
    supervisor.tick();
    assertThat(reads).as("read again after the failure, then not again this term").hasValue(2);
    assertThat(detectors.contains(ON_1)).isTrue();

    clock.addAndGet(10_000);
    detectors.heartbeat(heartbeating, clock.get());
    supervisor.tick();
    assertThat(failover.started).as("the pause a registered region is allowed").isEmpty();
    clock.addAndGet(10_000);
    detectors.heartbeat(heartbeating, clock.get());
    supervisor.tick();
    assertThat(failover.started).containsExactly("datanode 1 region 4398046511105(1024, 1) -> 2");
  }

  @Test
  void eachTicksNewlyFailedRegionsAreLoggedOnceNotAtEveryTick() {
    failover.enabled = false;
    DatanodeRegion second = new DatanodeRegion(1, REGION + 1);
    DatanodeRegion third = new DatanodeRegion(1, REGION + 2);
    DatanodeRegion onTwo = new DatanodeRegion(2, REGION);
    for (int beat = 0; beat < 1001; beat++) {
      clock.addAndGet(3_000);
      for (DatanodeRegion region : List.of(ON_1, second, onTwo)) {
        detectors.heartbeat(region, clock.get());
      }
    }
    long lastBeat = clock.get();
    // the third region is first seen 3 s later and judged on the first-heartbeat estimate: it
    // fails 12.3 s after that, 15.3 s after the others' last heartbeat, which fail after 13.5 s
    detectors.heartbeat(third, lastBeat + 3_000);
    clock.set(lastBeat + 14_000);
    List<String> warnings = warningsDuring(() -> {
      for (int tick = 0; tick < 5; tick++) {
        supervisor.tick();
        clock.addAndGet(1_000);
      }
    });
    assertThat(warnings).containsExactly(
        "3 region(s) on 2 datanode(s) newly failed: datanode 1, last heartbeat at " + lastBeat
            + ", 2 region(s): 4398046511105(1024, 1), 4398046511106(1024, 2); datanode 2, last"
            + " heartbeat at " + lastBeat + ", 1 region(s): 4398046511105(1024, 1)",
        "1 region(s) on 1 datanode(s) newly failed: datanode 1, last heartbeat at "
            + (lastBeat + 3_000) + ", 1 region(s): 4398046511107(1024, 3)");

    // the first region comes back, then fails again
    long backAt = clock.get();
    detectors.heartbeat(ON_1, backAt);
    warnings = warningsDuring(() -> {
      supervisor.tick();
      clock.set(backAt + 20_000);
      supervisor.tick();
      supervisor.tick();
    });
    assertThat(warnings).containsExactly("1 region(s) on 1 datanode(s) newly failed: datanode 1,"
        + " last heartbeat at " + backAt + ", 1 region(s): 4398046511105(1024, 1)");
  }

  @Test
  void regionsOfOneDatanodeFailedTogetherButHeardOfAtDifferentTimesAreOneLine() {
    failover.enabled = false;
    DatanodeRegion second = new DatanodeRegion(1, REGION + 1);
    heartbeatsThenSilence(0);
    detectors.heartbeat(second, clock.get() + 3_000);
    long last = clock.get();
    clock.addAndGet(30_000);

    assertThat(warningsDuring(supervisor::tick)).containsExactly("2 region(s) on 1 datanode(s)"
        + " newly failed: datanode 1, last heartbeat at " + last + ".." + (last + 3_000)
        + ", 2 region(s): 4398046511105(1024, 1), 4398046511106(1024, 2)");
  }

  @Test
  void aTickThatFindsManyFailedRegionsWarnsInOneBoundedLine() {
    failover.enabled = false;
    for (long datanode = 1; datanode <= 12; datanode++) {
      for (long region = 0; region < 20; region++) {
        detectors.heartbeat(new DatanodeRegion(datanode, REGION + region), clock.get());
      }
    }
    clock.addAndGet(30_000);

    List<String> warnings = warningsDuring(supervisor::tick);
    assertThat(warnings).singleElement().asString()
        .startsWith("240 region(s) on 12 datanode(s) newly failed: datanode 1, ")
        .contains("datanode 10, ").doesNotContain("datanode 11, ")
        .endsWith(", …; … (2 more datanode(s))");
    assertThat(warnings.get(0).split("\\(1024, ")).hasSize(10 * 10 + 1);
  }

  @Test
  void whyFailedRegionsWaitIsLoggedWhenItChanges() {
    heartbeatsThenSilence(20_000);
    List<String> lines = logsDuring(() -> {
      maintenance.set(true);
      supervisor.tick();
      supervisor.tick();
      maintenance.set(false);
      failover.paused = true;
      supervisor.tick();
      supervisor.tick();
      maintenance.set(true);
      supervisor.tick();
    }, Level.INFO);
    assertThat(lines).filteredOn(line -> line.endsWith("wait")).containsExactly(
        "maintenance mode is on: 1 failed region(s) wait",
        "region failover is paused: 1 failed region(s) wait",
        "maintenance mode is on: 1 failed region(s) wait");
  }

  private static List<String> warningsDuring(Runnable action) {
    return logsDuring(action, Level.WARN);
  }

  private static List<String> logsDuring(Runnable action, Level level) {
    Logger logger = (Logger) LoggerFactory.getLogger(RegionSupervisor.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      action.run();
    } finally {
      logger.detachAppender(logs);
    }
    return logs.list.stream().filter(event -> event.getLevel() == level)
        .map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aSlowFailoverHoldsUpNeitherHeartbeatsNorOtherTicksAndRunsOncePerRegion()
      throws Exception {
    DatanodeRegion second = new DatanodeRegion(1, REGION + 1);
    DatanodeRegion onTwo = new DatanodeRegion(2, REGION);
    for (int beat = 0; beat < 1001; beat++) {
      clock.addAndGet(3_000);
      detectors.heartbeat(ON_1, clock.get());
      detectors.heartbeat(second, clock.get());
    }
    // the second region keeps heartbeating while the first falls silent
    for (int beat = 0; beat < 7; beat++) {
      detectors.heartbeat(second, clock.addAndGet(3_000));
    }
    failover.slow = ON_1;
    ExecutorService ticker = Executors.newSingleThreadExecutor();
    try {
      Future<?> slowTick = ticker.submit(supervisor::tick);
      assertThat(failover.slowEntered.await(30, TimeUnit.SECONDS)).isTrue();

      // while the first region's failover hangs: heartbeats are recorded, the second region
      // fails and another tick hands it over, the admin route answers
      clock.addAndGet(20_000);
      detectors.heartbeat(onTwo, clock.get());
      assertThat(detectors.contains(onTwo)).isTrue();
      CompletableFuture.runAsync(supervisor::tick).get(30, TimeUnit.SECONDS);
      List<RegionSupervisor.FailedSince> failed = CompletableFuture
          .supplyAsync(supervisor::failedRegions).get(30, TimeUnit.SECONDS);
      assertThat(failed).extracting(f -> f.region().region())
          .as("the first region is failed until its failover starts")
          .contains(ON_1).doesNotContain(second);
      assertThat(failover.started).containsExactly(
          "datanode 1 region 4398046511106(1024, 2) -> 2");
      assertThat(failover.calls).as("one failover at a time per region")
          .containsExactly(ON_1, second);

      failover.slowRelease.countDown();
      slowTick.get(30, TimeUnit.SECONDS);
    } finally {
      failover.slowRelease.countDown();
      ticker.shutdownNow();
    }
    assertThat(failover.started).containsExactly("datanode 1 region 4398046511106(1024, 2) -> 2",
        "datanode 1 region 4398046511105(1024, 1) -> 2");
    assertThat(detectors.contains(ON_1)).isFalse();
    assertThat(supervisor.failedRegions()).isEmpty();
    assertThat(registry.get("metasrv.region.failovers").counter().count()).isEqualTo(2);
    supervisor.tick();
    assertThat(failover.calls).containsExactly(ON_1, second);
  }

  /** {@code count} regions of datanode 1 that heartbeat every 3 s, 1001 times, then fall silent. */
  private List<DatanodeRegion> silentRegions(int count, long silenceMillis) {
    List<DatanodeRegion> regions = new ArrayList<>();
    for (int number = 1; number <= count; number++) {
      regions.add(new DatanodeRegion(1, 1024L << 32 | number));
    }
    for (int beat = 0; beat < 1001; beat++) {
      clock.addAndGet(3_000);
      for (DatanodeRegion region : regions) {
        detectors.heartbeat(region, clock.get());
      }
    }
    clock.addAndGet(silenceMillis);
    return regions;
  }

  @Test
  void aHundredFailedRegionsAreHandedOverSideBySideAndTheTickDoesNotWaitForThem()
      throws Exception {
    List<DatanodeRegion> regions = silentRegions(100, 20_000);
    QueuedExecutor handOvers = new QueuedExecutor();
    RegionSupervisor parallel = supervisor(handOvers, new SimpleMeterRegistry());
    failover.allInsideAtOnce = new CountDownLatch(100);

    parallel.tick();
    assertThat(failover.calls).as("the tick only queued the hand-overs").isEmpty();
    assertThat(handOvers.tasks).hasSize(100);
    parallel.tick();
    assertThat(handOvers.tasks).as("a claimed region is not queued again").hasSize(100);

    ExecutorService threads = Executors.newFixedThreadPool(100);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (Runnable handOver : handOvers.tasks) {
        running.add(threads.submit(handOver));
      }
      // each failover waits until all 100 are inside: none waits for another to finish
      for (Future<?> handOver : running) {
        handOver.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(failover.allInsideAtOnce.getCount()).isZero();
    assertThat(failover.calls).containsExactlyInAnyOrderElementsOf(regions);
    assertThat(failover.started).hasSize(100);
    assertThat(aliveReads).as("the alive datanodes are read once per tick").hasValue(1);
    assertThat(parallel.failedRegions()).isEmpty();
    regions.forEach(region -> assertThat(detectors.contains(region)).isFalse());

    handOvers.tasks.clear();
    parallel.tick();
    assertThat(handOvers.tasks).isEmpty();
    assertThat(failover.calls).hasSize(100);
  }

  @Test
  void aHandOverQueuedBeforeAPauseStartsNothingAndItsRegionMovesOnceResumed() {
    heartbeatsThenSilence(20_000);
    QueuedExecutor handOvers = new QueuedExecutor();
    RegionSupervisor parallel = supervisor(handOvers, new SimpleMeterRegistry());
    parallel.tick();
    failover.paused = true;
    handOvers.runAll();
    assertThat(failover.calls).isEmpty();
    assertThat(detectors.contains(ON_1)).isTrue();
    parallel.tick();
    assertThat(handOvers.tasks).as("nothing queued while paused").isEmpty();
    assertThat(parallel.failedRegions()).extracting(f -> f.region().region())
        .containsExactly(ON_1);

    failover.paused = false;
    parallel.tick();
    handOvers.runAll();
    assertThat(failover.started).containsExactly("datanode 1 region 4398046511105(1024, 1) -> 2");
  }

  @Test
  void handOversQueuedBeforeAStepDownDoNothingAndOneRunningLeavesTheNextTermAlone()
      throws Exception {
    List<DatanodeRegion> regions = silentRegions(2, 20_000);
    QueuedExecutor handOvers = new QueuedExecutor();
    RegionSupervisor parallel = supervisor(handOvers, new SimpleMeterRegistry());
    failover.slow = regions.get(0);
    parallel.tick();
    assertThat(handOvers.tasks).hasSize(2);
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<?> slow = thread.submit(handOvers.tasks.remove(0));
      assertThat(failover.slowEntered.await(30, TimeUnit.SECONDS)).isTrue();
      parallel.stop();
      handOvers.runAll();
      assertThat(failover.calls).as("the queued one never began")
          .containsExactly(regions.get(0));

      // the next term finds both failed again, while the old term's hand-over still runs
      parallel.tick();
      assertThat(parallel.failedRegions()).hasSize(2);
      assertThat(handOvers.tasks).as("the region the old term is handing over is this term's")
          .hasSize(2);
      failover.slowRelease.countDown();
      slow.get(30, TimeUnit.SECONDS);
    } finally {
      failover.slowRelease.countDown();
      thread.shutdownNow();
    }
    assertThat(parallel.failedRegions()).as("the old term's hand-over left them alone")
        .hasSize(2);
    assertThat(detectors.contains(regions.get(0))).isTrue();
  }

  /** Keeps the tasks given to it until a test runs them. */
  private static final class QueuedExecutor implements Executor {
    final List<Runnable> tasks = new CopyOnWriteArrayList<>();

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
    }

    void runAll() {
      List<Runnable> now = List.copyOf(tasks);
      tasks.clear();
      now.forEach(Runnable::run);
    }
  }

  private static final class RecordingFailover implements RegionFailover {
    final List<String> started = new CopyOnWriteArrayList<>();
    final List<DatanodeRegion> calls = new CopyOnWriteArrayList<>();
    volatile boolean enabled = true;
    volatile boolean paused;
    volatile boolean failNext;
    /** A region whose failover waits for {@link #slowRelease}. */
    volatile DatanodeRegion slow;
    final CountDownLatch slowEntered = new CountDownLatch(1);
    final CountDownLatch slowRelease = new CountDownLatch(1);
    /** When set, each failover waits until this many are inside at once. */
    volatile CountDownLatch allInsideAtOnce;

    @Override
    public boolean enabled() {
      return enabled;
    }

    @Override
    public boolean paused() {
      return paused;
    }

    @Override
    public boolean failover(FailedRegion failed, SelectorCandidate target)
        throws InterruptedException {
      calls.add(failed.region());
      CountDownLatch together = allInsideAtOnce;
      if (together != null) {
        together.countDown();
        if (!together.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the other failovers never came in");
        }
      }
      if (failed.region().equals(slow)) {
        slowEntered.countDown();
        slowRelease.await();
      }
      if (failNext) {
        failNext = false;
        throw new IllegalStateException("migration refused");
      }
      started.add(failed.region() + " -> " + target.nodeId());
      return true;
    }
  }
}
