package io.metasrv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.BatchPutRequest;
import io.metasrv.protocol.BatchPutResponse;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.KeyValue;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.StoreGrpc;
import io.metasrv.testing.FreePorts;
import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heartbeat load at cluster scale: simulated datanodes over real gRPC streams ({@link
 * HeartbeatLoad}), each reporting 100 regions every 3 s, against a {@code metasrv start
 * --use-memory-store} process with {@code -Xmx2g} whose Store holds the table routes of every
 * region (a table of 100 regions per datanode, led by it); beside {@link EchoHeartbeatServer},
 * a bare grpc-java bidi echo in a process of its own with the same heap, driven by the same
 * generator with the same messages at the same rate in the same run.
 *
 * <p>Per scale (datanodes × 100 regions): heartbeats/s offered and answered, p50/p99 latency
 * (due time to answer) on both and their ratios, each server process's CPU (% of one core, from
 * {@code /proc/PID/stat} ticks over the window) and resident memory, the leader's heap used (most
 * seen in the window and after a full GC, from {@code /metrics}), the generator's own CPU, and
 * the load average (other work on the machine shares its cores). Every answer of ours must grant
 * all 100 regions and deny none; every 100th is checked exactly. The target: 10,000 datanodes
 * with p99 under 50 ms and the leader's heap under 2 GiB, in a window that opens once the
 * server has settled from the nodes' first heartbeats (see {@link HeartbeatLoad}); how long
 * that took, and the worst latency meanwhile, are printed beside it.
 *
 * <p>Run it with {@code bench/heartbeat-load [measure-seconds] [datanodes ...]} (default 30 s,
 * 1,000 5,000 10,000).
 */
public final class HeartbeatLoadBench {
  private static final Duration INTERVAL = Duration.ofSeconds(3);
  private static final Duration MIN_WARM_UP = INTERVAL.multipliedBy(3);
  /** Long enough for 10,000 datanodes' first heartbeats to be worked off. */
  private static final Duration MAX_WARM_UP = Duration.ofMinutes(3);
  private static final int REGIONS_PER_DATANODE = 100;
  private static final long FIRST_TABLE = 1024;
  private static final List<String> SERVER_JVM = List.of("-Xmx2g");
  /**
   * Extra JVM options for the leader only, space-separated (for profiling, e.g.
   * {@code -XX:StartFlightRecording=duration=60s,filename=/tmp/hb.jfr,settings=profile}).
   */
  private static final String LEADER_JVM_ENV = "METASRV_BENCH_LEADER_JVM";
  private static final long TARGET_P99_MILLIS = 50;
  private static final long TARGET_HEAP_BYTES = 2L << 30;
  private static final int TARGET_DATANODES = 10_000;
  private static final int MAX_BATCH_BYTES = 2 << 20;
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(2);
  /** USER_HZ: the unit of /proc/PID/stat's CPU times. */
  private static final long CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();
  private static final Pattern HEAP_USED = Pattern.compile(
      "(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\}\\s+(\\S+)$");
  private static final Pattern BROADCAST_PUSHES = Pattern.compile(
      "(?m)^metasrv_mailbox_broadcasts_total\\{[^}]*outcome=\"delivered\"[^}]*\\}\\s+(\\S+)$");

  public static void main(String[] args) throws Exception {
    if (!Files.isRegularFile(MetasrvNode.JAR)) {
      throw new IllegalStateException(MetasrvNode.JAR + " is missing; build it with "
          + "`mvn -B -q -DskipTests package`");
    }
    Duration measure = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 30);
    List<Integer> scales = args.length > 1
        ? Arrays.stream(args).skip(1).map(Integer::parseInt).toList()
        : List.of(1_000, 5_000, 10_000);
    Path dir = Files.createTempDirectory("metasrv-heartbeat-load-");
    int echoPort = FreePorts.next();
    Process echo = startEcho(echoPort, dir);
    try (MetasrvNode leader = MetasrvNode.start("leader", List.of("--use-memory-store"), dir,
        leaderJvm())) {
      awaitLeader(leader);
      awaitListening(echoPort, echo);
      System.out.printf("heartbeat load: every %d s, %d regions per datanode, a warm-up of %d s"
              + " to %d s (until the server has settled) and %d s measured per side; servers %s"
              + " after %s (leader %s, pid %d, echo pid %d), logs under %s; %d cores%n",
          INTERVAL.toSeconds(), REGIONS_PER_DATANODE,
          MIN_WARM_UP.toSeconds(), MAX_WARM_UP.toSeconds(), measure.toSeconds(), SERVER_JVM,
          MetasrvNode.JVM_OPTIONS, leaderJvm(), leader.pid(), echo.pid(), dir,
          Runtime.getRuntime().availableProcessors());
      int tablesWritten = 0;
      for (int datanodes : scales) {
        if (datanodes > tablesWritten) {
          long started = System.nanoTime();
          writeRoutes(leader.serverAddr(), tablesWritten, datanodes);
          System.out.printf("%n%,d datanodes x %d regions: routes of tables %d..%d written"
                  + " through Store in %.1f s%n", datanodes, REGIONS_PER_DATANODE,
              FIRST_TABLE + tablesWritten, FIRST_TABLE + datanodes - 1,
              (System.nanoTime() - started) / 1e9);
          tablesWritten = datanodes;
        }
        HeartbeatRequest[] requests = requests(datanodes, leader.serverAddr());
        System.out.printf("  request: %,d B (uncompressed)%n",
            requests[0].getSerializedSize());
        Side bare = side("echo", "127.0.0.1:" + echoPort, echo.pid(), null, requests,
            measure);
        Side ours = side("metasrv", leader.serverAddr(), leader.pid(), leader, requests,
            measure);
        report(datanodes, bare, ours);
      }
    } finally {
      echo.destroyForcibly();
      echo.waitFor(10, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  private static List<String> leaderJvm() {
    List<String> options = new ArrayList<>(SERVER_JVM);
    String extra = System.getenv(LEADER_JVM_ENV);
    if (extra != null && !extra.isBlank()) {
      options.addAll(Arrays.asList(extra.trim().split("\\s+")));
    }
    return options;
  }

  /** One side's window: the generator's result, the server process's figures, the checks. */
  private record Side(String name, HeartbeatLoad.Result result, double serverCpuPercent,
      double generatorCpuPercent, long maxRssBytes, long maxHeapUsedBytes, int scrapesUnanswered,
      long heapAfterGcBytes, String loadBefore, String loadAfter, long answers, long errors,
      long leaseMismatches, long exactChecks, long exactMismatches, String firstProblem,
      long broadcastPushes) {}

  private static Side side(String name, String addr, long pid, MetasrvNode heapSource,
      HeartbeatRequest[] requests, Duration measure) throws Exception {
    String loadBefore = loadAverage();
    try (HeartbeatLoad load = new HeartbeatLoad(addr, requests, heapSource != null)) {
      load.awaitConnected(Duration.ofSeconds(120));
      long[] cpu = new long[4];
      long[] most = new long[2];
      int[] scrapesUnanswered = new int[1];
      long pushesBefore = heapSource == null ? 0 : broadcastPushes(heapSource);
      HeartbeatLoad.Result result = load.run(INTERVAL, MIN_WARM_UP, MAX_WARM_UP, measure,
          (from, end) -> {
        HeartbeatLoad.sleepUntil(from);
        cpu[0] = cpuTicks(pid);
        cpu[1] = cpuTicks(ProcessHandle.current().pid());
        while (System.nanoTime() < end) {
          HeartbeatLoad.sleepUntil(Math.min(end, System.nanoTime() + SAMPLE_EVERY.toNanos()));
          most[0] = Math.max(most[0], rssBytes(pid));
          if (heapSource != null) {
            long heap = heapUsed(heapSource);
            most[1] = Math.max(most[1], heap);
            scrapesUnanswered[0] += heap < 0 ? 1 : 0;
          }
        }
        cpu[2] = cpuTicks(pid);
        cpu[3] = cpuTicks(ProcessHandle.current().pid());
      });
      String loadAfter = loadAverage();
      long pushes = heapSource == null ? -1 : broadcastPushes(heapSource) - pushesBefore;
      long afterGc = heapSource == null ? -1 : heapAfterFullGc(heapSource);
      double ticksPerPercent = CLOCK_TICKS_PER_SECOND * measure.toNanos() / 1e9 / 100;
      return new Side(name, result, (cpu[2] - cpu[0]) / ticksPerPercent,
          (cpu[3] - cpu[1]) / ticksPerPercent, most[0], most[1], scrapesUnanswered[0], afterGc,
          loadBefore,
          loadAfter, load.answers(), load.errorAnswers(), load.leaseMismatches(),
          load.exactChecks(), load.exactMismatches(), load.firstProblem(), pushes);
    }
  }

  private static void report(int datanodes, Side bare, Side ours) {
    for (Side side : List.of(bare, ours)) {
      HeartbeatLoad.Result r = side.result();
      HeartbeatLoad.WarmUp warmUp = r.warmUp();
      System.out.printf("  %-7s warm-up %.1f s, %s; every node's first heartbeat answered %s;"
              + " worst latency in it %.0f ms%n", side.name(), warmUp.lasted().toMillis() / 1e3,
          warmUp.settled() ? "settled" : "NEVER SETTLED (window opened anyway)",
          warmUp.allAnsweredOnceNanos() < 0 ? "never"
              : String.format("%.1f s after the first was due", warmUp.allAnsweredOnceNanos() / 1e9),
          warmUp.maxLatencyNanos() / 1e6);
      System.out.printf("  %-7s offered %,7.0f hb/s, answered %,7.0f hb/s (%d of the window's"
              + " heartbeats unanswered 10 s after it); latency p50 %7.2f ms, p99 %7.2f ms,"
              + " max %7.2f ms; server CPU %5.1f%% of a core, RSS %,d MiB%s; generator CPU"
              + " %5.1f%%, sender lag max %.1f ms; load %s -> %s%n", side.name(),
          r.offeredPerSecond(), r.answeredPerSecond(), r.unanswered(), r.percentileMillis(50),
          r.percentileMillis(99), r.percentileMillis(100), side.serverCpuPercent(),
          side.maxRssBytes() >> 20,
          side.heapAfterGcBytes() >= 0 ? String.format(", heap used max %,d MiB (%d scrapes"
              + " of /metrics unanswered in 10 s), after a full GC %,d MiB",
              side.maxHeapUsedBytes() >> 20, side.scrapesUnanswered(),
              side.heapAfterGcBytes() >> 20) : "", side.generatorCpuPercent(),
          r.maxSenderLagNanos() / 1e6, side.loadBefore(), side.loadAfter());
    }
    System.out.printf("  checks: %,d answers of ours, %d errors, %d not granting all %d regions,"
            + " %d exact checks (every %dth) with %d mismatches%s; echo %d errors%n",
        ours.answers(), ours.errors(), ours.leaseMismatches(), REGIONS_PER_DATANODE,
        ours.exactChecks(), HeartbeatLoad.EXACT_CHECK_EVERY, ours.exactMismatches(),
        ours.firstProblem() == null ? "" : "; first: " + ours.firstProblem(), bare.errors());
    System.out.printf("  metasrv pushed %,d one-way mailbox messages to streams (cache"
        + " invalidations of the nodes' first heartbeats)%n", ours.broadcastPushes());
    HeartbeatLoad.Result b = bare.result();
    HeartbeatLoad.Result o = ours.result();
    double p99 = o.percentileMillis(99);
    System.out.printf("  => %,d x %d: metasrv/echo p50 %.2f, p99 %.2f, answered/s %.3f;"
            + " metasrv p99 %.2f ms, heap after GC %,d MiB%s%n", datanodes,
        REGIONS_PER_DATANODE, o.percentileMillis(50) / b.percentileMillis(50),
        p99 / b.percentileMillis(99), o.answeredPerSecond() / b.answeredPerSecond(), p99,
        ours.heapAfterGcBytes() >> 20, datanodes == TARGET_DATANODES
            ? String.format(" (target p99 < %d ms and heap < 2 GiB: %s)", TARGET_P99_MILLIS,
            p99 < TARGET_P99_MILLIS && o.unanswered() == 0 && o.warmUp().settled()
                && ours.heapAfterGcBytes() < TARGET_HEAP_BYTES ? "met" : "MISSED")
            : "");
  }

  /**
   * Table {@code FIRST_TABLE + i} for datanode {@code i + 1}, its 100 regions led by it, for
   * datanodes {@code from + 1..to}: the routes as metadata writes them, put in batches.
   */
  private static void writeRoutes(String addr, int from, int to) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(addr).usePlaintext().build();
    try {
      StoreGrpc.StoreBlockingStub store = StoreGrpc.newBlockingStub(channel);
      BatchPutRequest.Builder batch = BatchPutRequest.newBuilder().setHeader(MetaCalls.header());
      for (int node = from; node < to; node++) {
        long datanode = node + 1;
        long table = FIRST_TABLE + node;
        List<RegionRoute> routes = new ArrayList<>();
        for (long number = 1; number <= REGIONS_PER_DATANODE; number++) {
          routes.add(RegionRoute.led(Region.of(SimulatedDatanode.regionId(table, number)),
              new Peer(datanode, datanodeAddr(datanode))));
        }
        batch.addKvs(KeyValue.newBuilder()
            .setKey(ByteString.copyFrom(new TableRouteKey(table).toBytes()))
            .setValue(ByteString.copyFrom(PhysicalTableRouteValue.of(routes).encode())));
        if (batch.build().getSerializedSize() > MAX_BATCH_BYTES || node == to - 1) {
          BatchPutResponse response = store.withDeadlineAfter(30, TimeUnit.SECONDS)
              .batchPut(batch.build());
          if (response.getHeader().hasError()) {
            throw new IllegalStateException("batch put answered " + response.getHeader());
          }
          batch.clearKvs();
        }
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** Each datanode's periodic heartbeat as the test kit's SimulatedDatanode sends it. */
  private static HeartbeatRequest[] requests(int datanodes, String leaderAddr) {
    HeartbeatRequest[] requests = new HeartbeatRequest[datanodes];
    try (SimulatedNodes kit = new SimulatedNodes(List.of(leaderAddr), MonotonicClock.SYSTEM)) {
      for (int node = 0; node < datanodes; node++) {
        long datanode = node + 1;
        SimulatedDatanode simulated = kit.datanode(datanode, datanodeAddr(datanode));
        for (long number = 1; number <= REGIONS_PER_DATANODE; number++) {
          simulated.withRegion(SimulatedDatanode.regionId(FIRST_TABLE + node, number),
              RegionRole.Leader);
        }
        requests[node] = simulated.periodicRequest();
      }
    }
    return requests;
  }

  private static String datanodeAddr(long datanode) {
    return "10.1." + (datanode / 250) + "." + (datanode % 250) + ":4001";
  }

  private static Process startEcho(int port, Path dir) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + MetasrvNode.JVM_OPTIONS.toAbsolutePath()); // as the leader's
    command.addAll(SERVER_JVM);
    command.addAll(List.of("-Dlogback.configurationFile=bench/logback.xml",
        "-cp", System.getProperty("java.class.path"), EchoHeartbeatServer.class.getName(),
        Integer.toString(port)));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("echo.log").toFile())
        .start();
  }

  private static void awaitLeader(MetasrvNode leader) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!leader.health().equals("leader")) {
      if (System.nanoTime() > deadline || !leader.isAlive()) {
        throw new IllegalStateException("metasrv did not lead within 60 s; log tail:\n"
            + leader.logTail(30));
      }
      Thread.sleep(100);
    }
  }

  private static void awaitListening(int port, Process process) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          throw new IllegalStateException("the echo server is not listening on " + port, e);
        }
        Thread.sleep(100);
      }
    }
  }

  // ---- measuring a process from outside ----

  private static long clockTicksPerSecond() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
      String out = new String(getconf.getInputStream().readAllBytes()).trim();
      getconf.waitFor();
      return Long.parseLong(out);
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }

  /** utime + stime of a process, in clock ticks. */
  private static long cpuTicks(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after "pid (comm) ": state is field 3, utime 14 and stime 15
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static long rssBytes(long pid) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/" + pid + "/status");
  }

  /**
   * The sum of {@code jvm_memory_used_bytes} over the heap's pools, as /metrics shows it; -1
   * when /metrics does not answer within 10 s (a leader too busy to answer is itself a finding).
   */
  private static long heapUsed(MetasrvNode node) {
    return scrapedSum(node, HEAP_USED, true);
  }

  /** One-way mailbox messages the leader has offered to streams so far (-1: not scraped). */
  private static long broadcastPushes(MetasrvNode node) {
    return scrapedSum(node, BROADCAST_PUSHES, false);
  }

  /**
   * The sum of the series {@code pattern} (its group 1 the value) in the node's /metrics, or -1
   * when it did not answer; a series that must be there and is not is an error.
   */
  private static long scrapedSum(MetasrvNode node, Pattern pattern, boolean mustBeThere) {
    Optional<String> scraped = node.send("GET", "/metrics", Duration.ofSeconds(10))
        .filter(response -> response.statusCode() == 200).map(HttpResponse::body);
    if (scraped.isEmpty()) {
      return -1;
    }
    Matcher series = pattern.matcher(scraped.get());
    double sum = 0;
    boolean found = false;
    while (series.find()) {
      sum += Double.parseDouble(series.group(1));
      found = true;
    }
    if (!found && mustBeThere) {
      throw new IllegalStateException("no " + pattern + " in /metrics");
    }
    return (long) sum;
  }

  /** The leader's live heap: a full GC through {@code jcmd GC.run}, then /metrics. */
  private static long heapAfterFullGc(MetasrvNode node) throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd")
        .toString(), Long.toString(node.pid()), "GC.run").redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes());
    if (jcmd.waitFor() != 0) {
      throw new IllegalStateException("jcmd GC.run failed: " + out);
    }
    return heapUsed(node);
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }

  private static String loadAverage() {
    String[] fields = read(Path.of("/proc/loadavg")).split(" ");
    return fields[0] + " " + fields[1] + " " + fields[2];
  }
}
