package io.metasrv.failure;

import io.metasrv.metadata.RegionId;

import io.metasrv.selector.NoEnoughAvailableNodeException;
import io.metasrv.selector.Selector;
import io.metasrv.selector.SelectorCandidate;
import io.metasrv.selector.SelectorOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's watch over region replicas, GreptimeDB's {@code RegionSupervisor}: every {@value
 * #TICK_MILLIS} ms it asks the detectors which replicas are failed, records them, and, unless maintenance mode is
 * on or failover is paused, hands each to {@link RegionFailover} with a target datanode chosen
 * by the configured selector among the alive datanodes other than the failed one (GreptimeDB
 * lets the selector choose the failed datanode itself, and then skips the region until a later
 * tick chooses another).
 *
 * <p>Runs while this node leads, also on a single node (GreptimeDB starts it only under an
 * election). {@link #start} forgets every detector first, as GreptimeDB does: the new leader
 * learns the regions from heartbeats again. Unlike GreptimeDB, the first tick of a term also
 * watches every region leader the table routes name, as if it had just heartbeated: a datanode
 * that died before this node led never heartbeats to it, and its regions would otherwise never be
 * found failed. A tick that falls behind is skipped, not queued.
 *
 * <p>Failed replicas are recorded whether failover is enabled or not, and listed by {@link
 * #failedRegions()} (the admin route) and the gauge {@code metasrv.region.failed}; {@code
 * metasrv.region.watched} counts the replicas watched and {@code metasrv.region.failovers} the
 * failovers started. While maintenance mode is on, or failover paused, failed replicas keep
 * their detectors and are acted on at the first tick after that ends, if still failed; a replica
 * whose failover could not start (no target, an error) is tried again at the first tick {@link
 * #RETRY_INTERVAL} later.
 *
 * <p>GreptimeDB ticks every second, so a region is acted on up to a second after its detector
 * crossed the threshold, half a second on average: a quarter of the 2 s a failover of 100 regions
 * may take beyond the detector's time. Judging costs one phi per cohort of regions (see {@link
 * RegionFailureDetectors}), so this ticks every {@value #TICK_MILLIS} ms; what GreptimeDB does at
 * each tick besides judging, trying a failed hand-over again, still happens once a second.
 *
 * <p>A tick only judges and records; the hand-overs run on the {@code handOvers} executor, one
 * task per failed replica, side by side (GreptimeDB submits them one after another on its
 * ticker, so 100 failed regions start their migrations one at a time). The datanodes alive, to
 * choose targets among, are read once per tick, by the first hand-over that needs them. A
 * replica is claimed by one hand-over at a time, so it is never handed over twice at once, and
 * a hand-over that finds failover paused by then leaves its replica failed for a later tick.
 *
 * <p>The lock guards only what the supervisor records (failed replicas, those being handed
 * over); {@link RegionFailover}, the selector and the maintenance read are called without it.
 * {@link #stop()} waits for no hand-over: those still queued do nothing, those running finish
 * their submission (refused once the procedure manager stopped, and fenced once this node no
 * longer leads) and leave the next term's records alone.
 */
public final class RegionSupervisor {
  static final long TICK_MILLIS = 200;
  /** How often replicas are judged; GreptimeDB's {@code DEFAULT_TICK_INTERVAL} is 1 s. */
  public static final Duration TICK_INTERVAL = Duration.ofMillis(TICK_MILLIS);
  /**
   * How long a replica whose hand-over did not start waits before the next (GreptimeDB's
   * {@code DEFAULT_TICK_INTERVAL}: it tries again at its next tick).
   */
  public static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);
  /**
   * Threads of {@link #handOverExecutor()}: as many procedures as the procedure manager runs at
   * once by default ({@code max_running_procedures}), so that the failed regions of a datanode
   * with up to that many start their migrations in one round of store reads.
   */
  public static final int HAND_OVER_THREADS = 128;
  private static final long IDLE_SECONDS = 30;
  /** How many datanodes, and regions of each, the newly-failed WARN of a tick names. */
  private static final int DATANODES_LOGGED = 10;
  private static final int REGIONS_LOGGED = 10;
  private static final Logger log = LoggerFactory.getLogger(RegionSupervisor.class);

  private final RegionFailureDetectors detectors;
  private final BooleanSupplier maintenanceEnabled;
  private final RegionFailover failover;
  private final Selector selector;
  private final Supplier<List<SelectorCandidate>> aliveDatanodes;
  private final Supplier<List<DatanodeRegion>> routedLeaders;
  /** Whether this term's ticks watch the routes' region leaders yet. */
  private volatile boolean routedLeadersWatched;
  private final LongSupplier clockMillis;
  private final Executor handOvers;
  private final Counter failovers;
  /** The replicas failed at the last tick and since when, by replica; guarded by this. */
  private Map<DatanodeRegion, FailedSince> failed = new HashMap<>();
  /** What this term hands over; replaced by {@link #stop()}; guarded by this. */
  private Term term = new Term();
  private ScheduledFuture<?> ticks; // guarded by this
  /** Why failed regions wait (maintenance, paused) as last logged, null when they do not. */
  private String waitingFor; // guarded by this

  /**
   * @param maintenanceEnabled whether maintenance mode is on; may throw when the store cannot
   *     be read, and the tick is then skipped
   * @param aliveDatanodes the datanodes alive now, to choose failover targets among
   * @param routedLeaders every region with the datanode its table route names as leader; may
   *     throw when the store cannot be read, and the next tick then reads it again
   * @param clockMillis the leader's clock, the one heartbeats are stamped with
   * @param handOvers runs the hand-overs of failed replicas, each its own task; {@link
   *     #handOverExecutor()} on a server
   */
  public RegionSupervisor(RegionFailureDetectors detectors, BooleanSupplier maintenanceEnabled,
      RegionFailover failover, Selector selector,
      Supplier<List<SelectorCandidate>> aliveDatanodes,
      Supplier<List<DatanodeRegion>> routedLeaders, LongSupplier clockMillis,
      Executor handOvers, MeterRegistry registry) {
    this.detectors = detectors;
    this.maintenanceEnabled = maintenanceEnabled;
    this.failover = failover;
    this.selector = selector;
    this.aliveDatanodes = aliveDatanodes;
    this.routedLeaders = routedLeaders;
    this.clockMillis = clockMillis;
    this.handOvers = handOvers;
    Gauge.builder("metasrv.region.failed", this, s -> s.failedRegions().size())
        .description("Region replicas judged failed (phi at or above the threshold) at the last"
            + " supervisor tick")
        .register(registry);
    Gauge.builder("metasrv.region.watched", detectors, RegionFailureDetectors::size)
        .description("Region replicas the failure detectors watch")
        .register(registry);
    this.failovers = Counter.builder("metasrv.region.failovers")
        .description("Region failovers started by the supervisor")
        .register(registry);
  }

  /**
   * The executor hand-overs run on: up to {@value #HAND_OVER_THREADS} daemon threads ({@code
   * metasrv-failover-N}), which end after {@value #IDLE_SECONDS} s without work; tasks beyond
   * them queue. A hand-over mostly waits for store reads (the route, the table info), one
   * round of which takes a good part of a second on a loaded store.
   */
  public static ThreadPoolExecutor handOverExecutor() {
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(HAND_OVER_THREADS, HAND_OVER_THREADS,
        IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "metasrv-failover-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  /** Starts ticking every {@link #TICK_INTERVAL} on {@code timers}, after forgetting every detector. */
  public synchronized void start(ScheduledExecutorService timers) {
    stop();
    detectors.clear();
    routedLeadersWatched = false;
    long period = TICK_INTERVAL.toMillis();
    ticks = timers.scheduleWithFixedDelay(this::tickSafely, period, period,
        TimeUnit.MILLISECONDS);
  }

  /**
   * Stops ticking and forgets the failed replicas (the next leader judges them afresh); the
   * hand-overs of this term that have not begun never will.
   */
  public synchronized void stop() {
    if (ticks != null) {
      ticks.cancel(false);
      ticks = null;
    }
    failed = new HashMap<>();
    term = new Term();
    waitingFor = null;
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("region supervisor tick failed: {}", e.toString());
    }
  }

  /**
   * One round: judge and record the failed replicas, then, unless maintenance mode is on or
   * failover paused, queue the hand-over of each one not already being handed over, and return.
   * The hand-overs, the selector and the maintenance read run without this supervisor's lock:
   * while a slow one runs, other ticks, {@link #failedRegions()} and {@link #stop()} go on.
   */
  public void tick() {
    watchRoutedLeaders();
    List<FailedRegion> judged = record();
    if (judged.isEmpty() || !failover.enabled()) {
      waitFor(null, 0);
      return;
    }
    boolean maintenance;
    try {
      maintenance = maintenanceEnabled.getAsBoolean();
    } catch (RuntimeException e) {
      log.warn("cannot read maintenance mode, skipping region failover this tick: {}",
          e.toString());
      return;
    }
    if (maintenance) {
      waitFor("maintenance mode is on", judged.size());
      return;
    }
    if (failover.paused()) {
      waitFor("region failover is paused", judged.size());
      return;
    }
    Claimed claimed = claim(judged);
    Supplier<List<SelectorCandidate>> candidates = readOnce(aliveDatanodes);
    for (FailedRegion region : claimed.regions()) {
      try {
        handOvers.execute(() -> handOver(claimed.term(), region, candidates));
      } catch (RejectedExecutionException e) {
        log.warn("cannot hand over {} now ({}); trying again in a second", region.region(),
            e.toString());
        handedOver(claimed.term(), region.region(), HandOver.FAILED);
      }
    }
  }

  /**
   * One failed replica's hand-over, on the hand-over executor: unless its term ended or failover
   * was paused meanwhile, chooses a target and starts the failover.
   */
  private void handOver(Term claimedIn, FailedRegion region,
      Supplier<List<SelectorCandidate>> candidates) {
    HandOver outcome = HandOver.SKIPPED;
    try {
      if (current(claimedIn) && !failover.paused()) {
        outcome = HandOver.FAILED;
        outcome = startFailover(region, candidates) ? HandOver.STARTED : HandOver.FAILED;
      }
    } catch (RuntimeException e) {
      log.warn("hand-over of {} failed: {}; trying again in a second", region.region(),
          e.toString());
    } finally {
      handedOver(claimedIn, region.region(), outcome);
    }
  }

  private synchronized boolean current(Term claimedIn) {
    return term == claimedIn;
  }

  /** {@code supplier}'s value, read by the first caller only (again if that read threw). */
  private static <T> Supplier<T> readOnce(Supplier<T> supplier) {
    return new Supplier<>() {
      private T value; // guarded by this

      @Override
      public synchronized T get() {
        if (value == null) {
          value = supplier.get();
        }
        return value;
      }
    };
  }

  /**
   * Once a term, watches every region leader the routes name; regions that heartbeat already
   * keep their history.
   */
  private void watchRoutedLeaders() {
    if (routedLeadersWatched) {
      return;
    }
    List<DatanodeRegion> leaders;
    try {
      leaders = routedLeaders.get();
    } catch (RuntimeException e) {
      log.warn("cannot read the table routes to watch their region leaders; trying again next"
          + " tick: {}", e.toString());
      return;
    }
    detectors.register(leaders);
    routedLeadersWatched = true;
    log.info("watching the {} region leader(s) the table routes name", leaders.size());
  }

  /** Judges every replica and records the failed ones; returns them. */
  private synchronized List<FailedRegion> record() {
    List<FailedRegion> judged = detectors.failed();
    long now = clockMillis.getAsLong();
    Map<DatanodeRegion, FailedSince> current = new HashMap<>();
    Map<Long, List<FailedRegion>> newlyFailed = new TreeMap<>();
    for (FailedRegion region : judged) {
      FailedSince before = failed.get(region.region());
      if (before == null) {
        newlyFailed.computeIfAbsent(region.region().datanodeId(), id -> new ArrayList<>())
            .add(region);
      }
      current.put(region.region(), new FailedSince(region,
          before == null ? now : before.sinceMillis()));
    }
    failed = current;
    warnFailed(newlyFailed);
    return judged;
  }

  /**
   * The failed replicas this tick hands over: those still failed that no hand-over of this term
   * has claimed. They stay claimed until {@link #handedOver}, so a replica is never handed over
   * twice at once, nor again once another hand-over started its failover.
   */
  private synchronized Claimed claim(List<FailedRegion> judged) {
    waitingFor = null;
    Term claimedIn = term;
    long now = clockMillis.getAsLong();
    claimedIn.retryAt.values().removeIf(at -> at <= now);
    return new Claimed(claimedIn, judged.stream()
        .filter(region -> failed.containsKey(region.region()))
        .filter(region -> !claimedIn.retryAt.containsKey(region.region()))
        .filter(region -> claimedIn.handingOver.add(region.region()))
        .toList());
  }

  /**
   * A claimed replica's hand-over ended; if it started a failover, its detector goes, and if it
   * failed, it is not claimed again for {@link #RETRY_INTERVAL}. A hand-over of an ended term
   * leaves the records alone: the next term judges afresh.
   */
  private synchronized void handedOver(Term claimedIn, DatanodeRegion region, HandOver outcome) {
    claimedIn.handingOver.remove(region);
    if (outcome == HandOver.FAILED) {
      claimedIn.retryAt.put(region, clockMillis.getAsLong() + RETRY_INTERVAL.toMillis());
    } else if (outcome == HandOver.STARTED) {
      failovers.increment();
      if (term == claimedIn) {
        detectors.remove(region);
        failed.remove(region);
      }
    }
  }

  /** One line for the regions of a datanode that a tick found failed and the previous did not. */
  /**
   * One WARN per tick for the replicas newly failed in it, naming at most {@link
   * #DATANODES_LOGGED} datanodes and {@link #REGIONS_LOGGED} regions of each (a stalled leader
   * can find thousands at once; {@code /admin/heartbeat} and the metrics have them all), and the
   * whole list at DEBUG.
   */
  private static void warnFailed(Map<Long, List<FailedRegion>> newlyFailed) {
    if (newlyFailed.isEmpty()) {
      return;
    }
    int regions = newlyFailed.values().stream().mapToInt(List::size).sum();
    log.warn("{} region(s) on {} datanode(s) newly failed: {}", regions, newlyFailed.size(),
        describe(newlyFailed, DATANODES_LOGGED, REGIONS_LOGGED));
    if (log.isDebugEnabled()) {
      log.debug("newly failed: {}", describe(newlyFailed, Integer.MAX_VALUE, Integer.MAX_VALUE));
    }
  }

  private static String describe(Map<Long, List<FailedRegion>> failedByDatanode, int datanodes,
      int regionsEach) {
    String described = failedByDatanode.entrySet().stream().limit(datanodes)
        .map(entry -> describe(entry.getKey(), entry.getValue(), regionsEach))
        .collect(Collectors.joining("; "));
    return failedByDatanode.size() > datanodes
        ? described + "; … (" + (failedByDatanode.size() - datanodes) + " more datanode(s))"
        : described;
  }

  private static String describe(long datanodeId, List<FailedRegion> regions, int shown) {
    LongSummaryStatistics lastHeartbeats = regions.stream()
        .mapToLong(FailedRegion::lastHeartbeatMillis).summaryStatistics();
    String ids = regions.stream().limit(shown)
        .map(region -> RegionId.display(region.region().regionId()))
        .collect(Collectors.joining(", "));
    return "datanode " + datanodeId + ", last heartbeat at "
        + (lastHeartbeats.getMin() == lastHeartbeats.getMax()
            ? String.valueOf(lastHeartbeats.getMax())
            : lastHeartbeats.getMin() + ".." + lastHeartbeats.getMax())
        + ", " + regions.size() + " region(s): " + ids
        + (regions.size() > shown ? ", …" : "");
  }


  /**
   * Says once why failed regions wait, not at every tick while they do; {@code null}: nothing
   * waits.
   */
  private synchronized void waitFor(String reason, int waiting) {
    if (reason != null && !reason.equals(waitingFor)) {
      log.info("{}: {} failed region(s) wait", reason, waiting);
    }
    waitingFor = reason;
  }

  /** Chooses a target and starts the failover; returns whether it started. */
  private boolean startFailover(FailedRegion region,
      Supplier<List<SelectorCandidate>> candidates) {
    SelectorCandidate target;
    try {
      target = selector.select(candidates.get(),
          SelectorOptions.distinct(1).excluding(region.region().datanodeId())).get(0);
    } catch (NoEnoughAvailableNodeException e) {
      log.warn("no failover target for {}: {}", region.region(), e.getMessage());
      return false;
    }
    try {
      if (failover.failover(region, target)) {
        log.info("failover of {} to datanode {} started", region.region(),
            Long.toUnsignedString(target.nodeId()));
        return true;
      }
    } catch (Exception e) {
      log.warn("failover of {} to datanode {} did not start: {}; trying again in a second",
          region.region(), Long.toUnsignedString(target.nodeId()), e.toString());
    }
    return false;
  }

  /** The replicas failed at the last tick, by datanode and region. */
  public synchronized List<FailedSince> failedRegions() {
    return failed.values().stream()
        .sorted(Comparator.comparing(f -> f.region().region(),
            Comparator.comparingLong(DatanodeRegion::datanodeId)
                .thenComparingLong(DatanodeRegion::regionId)))
        .toList();
  }

  /**
   * A failed replica as of the last tick.
   *
   * @param sinceMillis when a tick first found it failed (this leader's clock)
   */
  public record FailedSince(FailedRegion region, long sinceMillis) {}

  /** One leadership's hand-overs, from {@link #start} (or construction) to {@link #stop()}. */
  private static final class Term {
    /** Replicas claimed by hand-overs of this term not ended yet; guarded by the supervisor. */
    final Set<DatanodeRegion> handingOver = new HashSet<>();
    /** Replicas whose hand-over did not start, and when they may be claimed again. */
    final Map<DatanodeRegion, Long> retryAt = new HashMap<>();
  }

  /**
   * How a hand-over ended: its failover started, failed to start (no target, an error), or was
   * skipped (failover paused, or the term ended, before it began).
   */
  private enum HandOver { STARTED, FAILED, SKIPPED }

  /** The replicas a tick claimed, in the term it claimed them. */
  private record Claimed(Term term, List<FailedRegion> regions) {}
}
