package io.metasrv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.failure.PhiAccrualFailureDetector;
import io.metasrv.kv.Bytes;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.protocol.MigrateRegionRequest;
import io.metasrv.protocol.MigrateRegionResponse;
import io.metasrv.protocol.ProcedureId;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.ProcedureStatus;
import io.metasrv.protocol.QueryProcedureRequest;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.StoreGrpc;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Region migration end to end: {@code metasrv start} processes on a fresh etcd each, simulated
 * datanodes, the built jar. Four parts, each on its own etcd and processes, each bounded in time:
 *
 * <ol>
 *   <li>{@code single}: 20 migrations one after another on one process (alternating direction),
 *       each from {@code migrate} until {@code query} says Done (polled every 5 ms); against a
 *       floor of 4 heartbeat round trips on the same stream (a migration waits for 4 replies).
 *   <li>{@code drain}: 1,000 regions moved off datanode 1, submitted from 16 client threads
 *       (submissions refused as too many running are retried); migrations per second until every
 *       route names datanode 2, against a floor of 4 heartbeat round trips per migration with
 *       128 migrations at once.
 *   <li>{@code failover}: three processes with {@code enable_region_failover}, datanodes
 *       heartbeating every 3 s; datanode 1 with 100 regions stops; time from its last heartbeat
 *       until all 100 are writable elsewhere, beside the phi detector's own threshold time.
 *   <li>{@code recovery}: 1,000 migrations held in OpenRegion on three processes; the leader is
 *       killed with -9; time from the new leader's election until it lists all 1,000 in flight,
 *       and until all are Done once the datanode answers; against one Store range read of their
 *       keys.
 * </ol>
 *
 * <p>Run it with {@code bench/region-migration [single|drain|failover|recovery ...]} (default
 * all four in order).
 */
public final class RegionMigrationBench {
  private static final Duration MIGRATE_POLL = Duration.ofMillis(5);
  private static final Duration POLL = Duration.ofMillis(20);
  private static final int SINGLE_MIGRATIONS = 20;
  private static final int DRAIN_REGIONS = 1000;
  private static final int DRAIN_CLIENTS = 16;
  private static final int FAILOVER_REGIONS = 100;
  private static final int RECOVERY_REGIONS = 1000;
  private static final int REGIONS_PER_TABLE = 100;
  /** The procedure manager's {@code max_running_procedures} by default. */
  private static final int DEFAULT_MAX_RUNNING = 128;
  private static final long FIRST_TABLE = 1024;
  private static final Duration FAILOVER_INTERVAL = Duration.ofSeconds(3);
  /** Heartbeats datanode 1 sends before it stops in the failover part (so 60 s of history). */
  private static final int FAILOVER_HEARTBEATS = 20;
  private static final Pattern STATE = Pattern.compile("\"state\":\"([A-Za-z]+)\"");

  public static void main(String[] args) throws Exception {
    if (!Files.isRegularFile(MetasrvNode.JAR)) {
      throw new IllegalStateException(MetasrvNode.JAR + " is missing; build it with "
          + "`mvn -B -q -DskipTests package`");
    }
    List<String> parts = args.length > 0 ? Arrays.asList(args)
        : List.of("single", "drain", "failover", "recovery");
    System.out.printf("region migration bench: %s; load average %s%n", parts, loadAverage());
    for (String part : parts) {
      long started = System.nanoTime();
      switch (part) {
        case "single" -> single();
        case "drain" -> drain();
        case "failover" -> failover();
        case "recovery" -> recovery();
        default -> throw new IllegalArgumentException("no part " + part
            + " (single, drain, failover, recovery)");
      }
      System.out.printf("(%s took %d s; load average %s)%n%n", part,
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), loadAverage());
    }
    System.exit(0);
  }

  // ---- 1. single migrations ----

  private static void single() throws Exception {
    int regions = SINGLE_MIGRATIONS / 2;
    try (Setup setup = Setup.start(1, List.of(), "single")) {
      List<RegionRoute> routes = writeTables(setup.leader, regions, 1);
      SimulatedDatanode dn1 = setup.datanode(1, Duration.ofSeconds(1), routes);
      SimulatedDatanode dn2 = setup.datanode(2, Duration.ofSeconds(1), List.of());
      setup.startAll(true);
      awaitWritable("datanode 1 to lead its regions", routes, setup, Duration.ofSeconds(30));

      List<Long> roundTrips = new ArrayList<>(heartbeatRoundTrips(dn1, 25));
      List<Long> times = new ArrayList<>();
      try (ProcedureClient client = new ProcedureClient(setup.leader.serverAddr())) {
        for (int i = 0; i < SINGLE_MIGRATIONS; i++) {
          long region = routes.get(i / 2).regionId();
          boolean back = i % 2 == 1;
          long from = back ? 2 : 1;
          long to = back ? 1 : 2;
          SimulatedDatanode target = back ? dn1 : dn2;
          long start = System.nanoTime();
          String pid = client.migrate(region, from, to, 60);
          ProcedureStatus status;
          do {
            Thread.sleep(MIGRATE_POLL.toMillis());
            status = client.query(pid);
          } while (status != ProcedureStatus.Done && status != ProcedureStatus.Failed
              && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60));
          long elapsed = System.nanoTime() - start;
          if (status != ProcedureStatus.Done) {
            throw new IllegalStateException("migration " + pid + " ended " + status);
          }
          times.add(elapsed);
          System.out.printf("  migration %2d: region %d %d -> %d: %6.1f ms%n", i + 1,
              region & 0xFFFF_FFFFL, from, to, elapsed / 1e6);
          await("the target to be writable", Duration.ofSeconds(10),
              () -> target.isWritable(region));
        }
      }
      roundTrips.addAll(heartbeatRoundTrips(dn1, 25));
      long floor = 4 * median(roundTrips);
      System.out.printf("1. single migrations (1 process on etcd, 2 datanodes, 1 s heartbeats):"
              + " median %.1f ms, max %.1f ms over %d; floor 4 x heartbeat round trip"
              + " (median %.2f ms of %d) = %.2f ms; median/floor %.1f%n",
          median(times) / 1e6, max(times) / 1e6, times.size(), median(roundTrips) / 1e6,
          roundTrips.size(), floor / 1e6, (double) median(times) / floor);
    }
  }

  private static List<Long> heartbeatRoundTrips(SimulatedDatanode node, int count)
      throws Exception {
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      node.heartbeatNow().get(10, TimeUnit.SECONDS);
      times.add(System.nanoTime() - start);
      Thread.sleep(20);
    }
    return times;
  }

  // ---- 2. drain ----

  private static void drain() throws Exception {
    try (Setup setup = Setup.start(1, List.of(), "drain")) {
      List<RegionRoute> routes = writeTables(setup.leader, DRAIN_REGIONS, 1);
      SimulatedDatanode dn1 = setup.datanode(1, Duration.ofSeconds(1), routes);
      setup.datanode(2, Duration.ofSeconds(1), List.of());
      setup.startAll(true);
      awaitWritable("datanode 1 to lead its regions", routes, setup, Duration.ofSeconds(60));
      List<Long> roundTrips = new ArrayList<>(heartbeatRoundTrips(dn1, 25));

      Refusals refusals = new Refusals();
      long start = System.nanoTime();
      // Submitted from DRAIN_CLIENTS threads: one after another, the drain measured the client's
      // migrate round trips (1,000 in 82 s), not the migrations.
      ExecutorService clients = Executors.newFixedThreadPool(DRAIN_CLIENTS);
      try (ProcedureClient client = new ProcedureClient(setup.leader.serverAddr())) {
        List<Future<?>> submissions = new ArrayList<>();
        for (RegionRoute route : routes) {
          submissions.add(clients.submit(() -> {
            submit(client, route.regionId(), 1, 2, 120, refusals);
            return null;
          }));
        }
        for (Future<?> submission : submissions) {
          submission.get(300, TimeUnit.SECONDS);
        }
      } finally {
        clients.shutdownNow();
      }
      long submitted = System.nanoTime() - start;
      await("every route to name datanode 2", Duration.ofSeconds(300),
          () -> ledBy(setup.leader, routes, 2) == routes.size());
      long elapsed = System.nanoTime() - start;
      roundTrips.addAll(heartbeatRoundTrips(dn1, 25));
      // the floor: each migration waits for 4 replies, and at most max_running_procedures
      // (128 by default) run at once
      double floor = routes.size() * 4.0 * median(roundTrips) / DEFAULT_MAX_RUNNING;
      System.out.printf("2. drain (1 process on etcd): %d regions moved 1 -> 2 in %.2f s"
              + " (all submitted after %.2f s; submissions refused and retried: %d as too many"
              + " running, %d as a peer unavailable): %.1f migrations/s; floor %d x 4 heartbeat"
              + " round trips (median %.2f ms of %d) / %d running at once = %.2f s (%.0f"
              + " migrations/s); elapsed/floor %.1f%n", routes.size(),
          elapsed / 1e9, submitted / 1e9, refusals.tooMany.get(), refusals.peerUnavailable.get(),
          routes.size() / (elapsed / 1e9), routes.size(), median(roundTrips) / 1e6,
          roundTrips.size(), DEFAULT_MAX_RUNNING, floor / 1e9, routes.size() / (floor / 1e9),
          elapsed / floor);
    }
  }

  // ---- 3. failover ----

  private static void failover() throws Exception {
    String config = "enable_region_failover = true\n\n[wal]\nprovider = \"kafka\"\n"
        + "broker_endpoints = [\"127.0.0.1:9092\"]\n";
    try (Setup setup = Setup.start(3, List.of(config), "failover")) {
      List<RegionRoute> routes = writeTables(setup.leader, FAILOVER_REGIONS, 1);
      SimulatedDatanode dn1 = setup.nodes.datanode(1, addr(1)).withHeartbeatInterval(
          FAILOVER_INTERVAL).withManualHeartbeats();
      for (RegionRoute route : routes) {
        dn1.withRegion(route.regionId(), RegionRole.Leader);
      }
      setup.datanodes.put(1L, dn1);
      setup.datanode(2, FAILOVER_INTERVAL, List.of());
      setup.datanode(3, FAILOVER_INTERVAL, List.of());
      setup.startAll(false);

      // Datanode 1's heartbeats, sent by this bench every 3 s so that the last one is known.
      ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
      AtomicLong lastBeat = new AtomicLong();
      AtomicLong sent = new AtomicLong();
      try {
        beats.scheduleAtFixedRate(() -> {
          if (sent.get() < FAILOVER_HEARTBEATS) {
            lastBeat.set(System.nanoTime());
            CompletableFuture<?> answer = dn1.heartbeatNow();
            if (sent.incrementAndGet() == FAILOVER_HEARTBEATS) {
              // Stopped once the last beat is answered: stopping at once cancels the stream,
              // which can drop the beat unsent, and the detector then starts 3 s earlier.
              try {
                answer.get(FAILOVER_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
              } catch (Exception e) {
                System.out.printf("  datanode 1's last heartbeat got no answer: %s%n", e);
              }
              dn1.stop();
              System.out.printf("  datanode 1's last heartbeat sent at %s%n", Instant.now()
                  .minusNanos(System.nanoTime() - lastBeat.get()));
            }
          }
        }, 0, FAILOVER_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        awaitWritable("datanode 1 to lead its regions", routes, setup, Duration.ofSeconds(30));
        await("datanode 1's " + FAILOVER_HEARTBEATS + " heartbeats",
            FAILOVER_INTERVAL.multipliedBy(FAILOVER_HEARTBEATS + 5),
            () -> sent.get() == FAILOVER_HEARTBEATS);
      } finally {
        beats.shutdownNow();
      }
      long silentFrom = lastBeat.get();
      SimulatedDatanode dn2 = setup.datanodes.get(2L);
      SimulatedDatanode dn3 = setup.datanodes.get(3L);
      await("every region writable on datanode 2 or 3", Duration.ofSeconds(120),
          () -> routes.stream().allMatch(route -> dn2.isWritable(route.regionId())
              || dn3.isWritable(route.regionId())));
      long elapsed = System.nanoTime() - silentFrom;
      System.out.printf("  all writable elsewhere at %s%n", Instant.now());
      // A lease answer to a heartbeat sent before the upgrade, applied after it, turns the
      // region back into a follower until the next heartbeat: seen as a second interval.
      long writableTwice = routes.stream().filter(route -> Math.max(
          dn2.writableIntervals(route.regionId()).size(),
          dn3.writableIntervals(route.regionId()).size()) > 1).count();
      System.out.printf("  regions writable on their new datanode, then not, then again: %d%n",
          writableTwice);
      long detector = detectorTime(FAILOVER_HEARTBEATS, FAILOVER_INTERVAL);
      long steady = detectorTime(PhiAccrualFailureDetector.MAX_SAMPLE_SIZE + 1,
          FAILOVER_INTERVAL);
      long onDn2 = routes.stream().filter(route -> dn2.isWritable(route.regionId())).count();
      System.out.printf("3. failover (3 processes on etcd, 3 s heartbeats): %d regions of"
              + " datanode 1 writable elsewhere (%d on 2, %d on 3) %.2f s after its last"
              + " heartbeat; phi detector threshold time after %d heartbeats %.3f s (after a"
              + " full history %.3f s); difference %+.2f s (target within 2 s)%n",
          routes.size(), onDn2, routes.size() - onDn2, elapsed / 1e9, FAILOVER_HEARTBEATS,
          detector / 1e3, steady / 1e3, elapsed / 1e9 - detector / 1e3);
    }
  }

  /** The first silence (ms) after {@code heartbeats} beats every {@code interval} with phi above the threshold. */
  private static long detectorTime(int heartbeats, Duration interval) {
    PhiAccrualFailureDetector detector =
        new PhiAccrualFailureDetector(FailureDetectorOptions.defaults());
    long start = 1_000_000;
    long last = start;
    for (int i = 0; i < heartbeats; i++) {
      last = start + i * interval.toMillis();
      detector.heartbeat(last);
    }
    long silence = 0;
    while (detector.phi(last + silence) <= detector.threshold()) {
      silence++;
    }
    return silence;
  }

  // ---- 4. recovery ----

  private static void recovery() throws Exception {
    String config = "[procedure]\nmax_running_procedures = 2000\n";
    try (Setup setup = Setup.start(3, List.of(config), "recovery")) {
      List<RegionRoute> routes = writeTables(setup.leader, RECOVERY_REGIONS, 1);
      setup.datanode(1, Duration.ofSeconds(1), routes);
      SimulatedDatanode dn2 = setup.datanode(2, Duration.ofSeconds(1), List.of());
      setup.startAll(true);
      awaitWritable("datanode 1 to lead its regions", routes, setup, Duration.ofSeconds(60));

      dn2.hangInInstructions("OpenRegion");
      MetasrvNode leader = setup.leader;
      Refusals refusals = new Refusals();
      try (ProcedureClient client = new ProcedureClient(leader.serverAddr())) {
        for (RegionRoute route : routes) {
          submit(client, route.regionId(), 1, 2, 600, refusals);
        }
      }
      System.out.printf("  submitted %d (refused and retried: %d too many running, %d peer"
          + " unavailable)%n", routes.size(), refusals.tooMany.get(), refusals.peerUnavailable.get());
      await("1,000 migrations in flight on " + leader.name(), Duration.ofSeconds(120),
          () -> inFlight(leader) == routes.size());
      await("OpenRegion of each to reach datanode 2", Duration.ofSeconds(120),
          () -> dn2.instructionsReceived("OpenRegion") >= routes.size());

      long killedAt = System.nanoTime();
      leader.kill9();
      MetasrvCluster.Takeover takeover = MetasrvCluster.awaitLeaderAmong(
          setup.cluster.others(leader), killedAt, Duration.ofSeconds(60));
      MetasrvNode successor = takeover.leader();
      long electedAt = System.nanoTime();
      Map<String, Integer> firstSeen = new TreeMap<>();
      await("1,000 migrations in flight on " + successor.name(), Duration.ofSeconds(120), () -> {
        Map<String, Integer> states = states(successor);
        if (firstSeen.isEmpty() && !states.isEmpty()) {
          firstSeen.putAll(states);
        }
        return states.getOrDefault("Running", 0) + states.getOrDefault("Retrying", 0)
            >= routes.size();
      });
      long listed = System.nanoTime() - electedAt;

      List<Long> rangeReads = new ArrayList<>();
      int keys;
      try (StoreClient store = new StoreClient(successor.serverAddr())) {
        keys = store.count("/__procedure__/");
        for (int i = 0; i < 5; i++) {
          long start = System.nanoTime();
          store.count("/__procedure__/");
          rangeReads.add(System.nanoTime() - start);
        }
      }

      long answeredAt = System.nanoTime();
      dn2.answerInstructions("OpenRegion");
      await("every migration done on " + successor.name(), Duration.ofSeconds(300),
          () -> states(successor).getOrDefault("Done", 0) >= routes.size());
      long done = System.nanoTime() - answeredAt;
      int moved = ledBy(successor, routes, 2);
      System.out.printf("4. recovery (3 processes on etcd): kill -9 of %s with %d migrations"
              + " held in OpenRegion; %s elected %.2f s after the kill; lists all %d in flight"
              + " %.3f s after its election (its first list: %s); one Store range read of"
              + " /__procedure__/ (%d keys): median %.1f ms of %d, ratio %.1f; once datanode"
              + " 2 answers, all Done in %.2f s (%d routes name datanode 2)%n",
          leader.name(), routes.size(), successor.name(), takeover.elapsed().toMillis() / 1e3,
          routes.size(), listed / 1e9, firstSeen, keys, median(rangeReads) / 1e6,
          rangeReads.size(), (double) listed / median(rangeReads), done / 1e9, moved);
    }
  }

  private static int inFlight(MetasrvNode node) {
    Map<String, Integer> states = states(node);
    return states.getOrDefault("Running", 0) + states.getOrDefault("Retrying", 0);
  }

  /** How many procedures {@code GET /admin/procedures} lists in each state. */
  private static Map<String, Integer> states(MetasrvNode node) {
    Map<String, Integer> states = new TreeMap<>();
    node.send("GET", "/admin/procedures", Duration.ofSeconds(5))
        .filter(response -> response.statusCode() == 200)
        .ifPresent(response -> {
          Matcher state = STATE.matcher(response.body());
          while (state.find()) {
            states.merge(state.group(1), 1, Integer::sum);
          }
        });
    return states;
  }

  // ---- shared ----

  /** Submissions refused and retried, by reason. */
  private static final class Refusals {
    final AtomicInteger tooMany = new AtomicInteger();
    final AtomicInteger peerUnavailable = new AtomicInteger();
  }

  /**
   * Submits a migration, retrying after a short pause while it is refused as too many running
   * (RESOURCE_EXHAUSTED) or as a peer unavailable: the latter is the leader's lease test
   * failing for a datanode that heartbeats (see the report of this bench).
   */
  private static void submit(ProcedureClient client, long region, long from, long to,
      int timeoutSecs, Refusals refusals) throws InterruptedException {
    while (true) {
      try {
        client.migrate(region, from, to, timeoutSecs);
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
          refusals.tooMany.incrementAndGet();
        } else if (String.valueOf(e.getStatus().getDescription())
            .contains("peer is unavailable")) {
          refusals.peerUnavailable.incrementAndGet();
        } else {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  /** Tables of 100 regions each, from FIRST_TABLE on, led by {@code datanode}. */
  private static List<RegionRoute> writeTables(MetasrvNode leader, int regions, long datanode) {
    List<RegionRoute> all = new ArrayList<>();
    for (int first = 0; first < regions; first += REGIONS_PER_TABLE) {
      long table = FIRST_TABLE + first / REGIONS_PER_TABLE;
      List<RegionRoute> routes = new ArrayList<>();
      for (long number = 1; number <= Math.min(REGIONS_PER_TABLE, regions - first); number++) {
        routes.add(RegionRoute.led(Region.of(SimulatedDatanode.regionId(table, number)),
            new Peer(datanode, addr(datanode))));
      }
      MetaCalls.writeTable(leader.serverAddr(), table, routes);
      all.addAll(routes);
    }
    return all;
  }

  /** How many of {@code routes}' regions the stored routes say {@code datanode} leads. */
  private static int ledBy(MetasrvNode leader, List<RegionRoute> routes, long datanode) {
    Map<Long, PhysicalTableRouteValue> tables = new TreeMap<>();
    try (StoreClient store = new StoreClient(leader.serverAddr())) {
      int led = 0;
      for (RegionRoute route : routes) {
        long table = route.regionId() >>> 32;
        PhysicalTableRouteValue value = tables.computeIfAbsent(table, store::route);
        RegionRoute stored = value.regionRoute(route.regionId()).orElseThrow();
        if (stored.ledBy(datanode) && !stored.leaderDowngrading()) {
          led++;
        }
      }
      return led;
    }
  }

  private static void awaitWritable(String what, List<RegionRoute> routes, Setup setup,
      Duration timeout) {
    await(what, timeout, () -> routes.stream().allMatch(route ->
        setup.datanodes.get(route.leaderPeer().id()).isWritable(route.regionId())));
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void await(String what, Duration timeout, Condition condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (condition.holds()) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } catch (Exception e) {
        last = e; // a read that timed out on a loaded machine: try again
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what,
            last);
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static String addr(long datanode) {
    return "127.0.0.1:" + (14300 + datanode);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static long max(List<Long> values) {
    return values.stream().max(Long::compare).orElseThrow();
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** A fresh etcd, {@code processes} metasrv processes on it, and simulated datanodes. */
  private static final class Setup implements AutoCloseable {
    final EtcdProcess etcd;
    final MetasrvCluster cluster;
    final MetasrvNode leader;
    final SimulatedNodes nodes;
    final Map<Long, SimulatedDatanode> datanodes = new TreeMap<>();

    private Setup(EtcdProcess etcd, MetasrvCluster cluster) {
      this.etcd = etcd;
      this.cluster = cluster;
      this.leader = cluster.awaitSingleLeader(Duration.ofSeconds(30));
      this.nodes = new SimulatedNodes(
          cluster.nodes().stream().map(MetasrvNode::serverAddr).toList(), MonotonicClock.SYSTEM);
    }

    /** {@code config}: the config file's text, if any. */
    static Setup start(int processes, List<String> config, String name) throws Exception {
      Path dir = Files.createTempDirectory("metasrv-migration-bench-" + name + "-");
      EtcdProcess etcd = EtcdProcess.start();
      try {
        List<String> args = new ArrayList<>(List.of("--backend", "etcd_store", "--store-addrs",
            "127.0.0.1:" + etcd.clientPort()));
        if (!config.isEmpty()) {
          Path file = dir.resolve("metasrv.toml");
          Files.writeString(file, config.get(0));
          args.addAll(List.of("-c", file.toString()));
        }
        System.out.printf("%s: %d process(es) on %s, logs under %s%n", name, processes,
            etcd.endpoint(), dir);
        return new Setup(etcd, MetasrvCluster.start(processes, args, dir));
      } catch (RuntimeException | Error e) {
        etcd.close();
        throw e;
      }
    }

    SimulatedDatanode datanode(long id, Duration interval, List<RegionRoute> leading) {
      SimulatedDatanode datanode = nodes.datanode(id, addr(id)).withHeartbeatInterval(interval);
      for (RegionRoute route : leading) {
        datanode.withRegion(route.regionId(), RegionRole.Leader);
      }
      datanodes.put(id, datanode);
      return datanode;
    }

    /**
     * Starts every datanode and, with {@code confirmAlive}, waits for the answer to a heartbeat
     * of each: a region opened as leader is writable before its first lease, but a migration
     * is refused until the leader has handled a heartbeat of both datanodes (their leases).
     */
    void startAll(boolean confirmAlive) throws Exception {
      for (SimulatedDatanode datanode : datanodes.values()) {
        datanode.start().get(30, TimeUnit.SECONDS);
      }
      if (confirmAlive) {
        for (SimulatedDatanode datanode : datanodes.values()) {
          datanode.heartbeatNow().get(30, TimeUnit.SECONDS);
        }
      }
    }

    @Override
    public void close() {
      nodes.close();
      cluster.close();
      etcd.close();
    }
  }

  /** ProcedureService over one channel kept open, so that polls do not pay for connecting. */
  private static final class ProcedureClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final ProcedureServiceGrpc.ProcedureServiceBlockingStub stub;

    ProcedureClient(String addr) {
      channel = ManagedChannelBuilder.forTarget(addr).usePlaintext().build();
      stub = ProcedureServiceGrpc.newBlockingStub(channel);
    }

    String migrate(long region, long from, long to, int timeoutSecs) {
      MigrateRegionResponse response = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .migrate(MigrateRegionRequest.newBuilder().setHeader(MetaCalls.header())
              .setRegionId(region).setFromPeer(from).setToPeer(to).setTimeoutSecs(timeoutSecs)
              .build());
      if (response.getHeader().hasError() || !response.hasPid()) {
        throw new IllegalStateException("migrate of " + region + " answered " + response);
      }
      return response.getPid().getKey().toStringUtf8();
    }

    ProcedureStatus query(String pid) {
      return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .query(QueryProcedureRequest.newBuilder().setHeader(MetaCalls.header())
              .setPid(ProcedureId.newBuilder().setKey(ByteString.copyFromUtf8(pid))).build())
          .getStatus();
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }

  /** Store reads over one channel kept open. */
  private static final class StoreClient implements AutoCloseable {
    private final ManagedChannel channel;
    private final StoreGrpc.StoreBlockingStub stub;

    StoreClient(String addr) {
      channel = ManagedChannelBuilder.forTarget(addr).usePlaintext().build();
      stub = StoreGrpc.newBlockingStub(channel);
    }

    /** Keys under {@code prefix}, in one keys-only range call. */
    int count(String prefix) {
      byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
      return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .range(RangeRequest.newBuilder().setHeader(MetaCalls.header())
              .setKey(ByteString.copyFrom(start))
              .setRangeEnd(ByteString.copyFrom(Bytes.prefixEnd(start))).setKeysOnly(true)
              .build())
          .getKvsCount();
    }

    PhysicalTableRouteValue route(long table) {
      byte[] key = new TableRouteKey(table).toBytes();
      return (PhysicalTableRouteValue) TableRouteValue.decode(stub
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .range(RangeRequest.newBuilder().setHeader(MetaCalls.header())
              .setKey(ByteString.copyFrom(key)).build())
          .getKvs(0).getValue().toByteArray());
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
