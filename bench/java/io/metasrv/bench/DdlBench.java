package io.metasrv.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.metasrv.config.DatanodeOptions;
import io.metasrv.grpc.DatanodeRegionClient;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.RangeRequest;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.CreateDatabaseTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DdlTaskResponse;
import io.metasrv.protocol.DropTableTask;
import io.metasrv.protocol.Partition;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.CreateDatabaseExpr;
import io.metasrv.protocol.v1.CreateTableExpr;
import io.metasrv.protocol.v1.DropTableExpr;
import io.metasrv.protocol.v1.QueryContext;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.protocol.v1.TableId;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CREATE TABLE through {@code ProcedureService.ddl}, end to end: three {@code metasrv start}
 * processes (the built jar) on a fresh etcd, three simulated datanodes serving {@code
 * Region/Handle}, each table with 8 regions ({@code PARTITION ON COLUMNS (host)}, 8 ranges), as
 * GreptimeDB's frontend sends it. Measured at 1 and 16 concurrent clients (each creating one
 * table after another): tables per second and p50/p99 latency.
 *
 * <p>The floor, measured in the same run with the same concurrency: what a create cannot do
 * without, issued directly from this JVM: the 8 region {@code Create} requests (copies of those
 * the metasrv sent, with other region ids) through the same region client, all at once, to 3
 * simulated datanodes of its own (the same code, but not heartbeating: the leader never hears
 * of the floor's regions), then the metadata transaction on the same etcd (copies of a created
 * table's {@code __table_name}, {@code __table_info}, {@code __table_route} and {@code
 * __dn_table} values, put under {@code bench_floor/} when the info and route keys are absent).
 * Target: metasrv tables/s at least 0.5 of the floor's.
 *
 * <p>The metasrv processes run with the JVM options metasrv ships with ({@code bin/jvm.options}
 * and the JVM's defaults, G1 here), not the test kit's small CI JVMs (256 MB, serial GC, whose
 * young collections paused the leader 3-50 ms every half second).
 *
 * <p>Both sides first warm up, not measured, in rounds at 16 clients, until the leader's JIT
 * compilers were busy less than 20% of a round (at most 8 rounds; each prints how busy both
 * JVMs' compilers were). Code that runs once per create reaches C2 only after some 5,000 calls
 * (HotSpot's tier-4 invocation threshold): after one round of 1,900 creates, the leader's
 * compilers were still busy 70-80% of the measured rounds and the leader ran its create path
 * in profiled C1 code. Each round drops the tables it created through metasrv: a datanode's
 * heartbeat grows by 156 bytes per region it holds, and past about 27,000 regions it outgrows
 * the 4 MiB a request may have (a run with 5 rounds of creates alone failed so,
 * NoEnoughAvailableNode). Warm-ups of 3,200 tables a round took 4 rounds here (the leader's
 * compilers 98, 52, 29 and 7% busy); the measured runs then saw them busy 2-3%.
 *
 * <p>Then, per client count, 3 pairs of measured runs, the floor's then metasrv's, and the
 * median of their ratios (the floor alone moved by up to 40% from one run of the bench to the
 * next). After each pair the metasrv side's tables are dropped, not measured. A 16-client run
 * creates 200 tables per client by default, a 1-client run 5 times as many: runs of a second or
 * two measured mostly the leader's JIT compiler and single young collections.
 *
 * <p>Run it with {@code bench/ddl [tables-per-client]} (default 200).
 */
public final class DdlBench {
  private static final int REGIONS = 8;
  private static final String[] SPLITS = {"c", "f", "i", "l", "o", "r", "u"};
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int[] CLIENTS = {1, 16};
  /** Measured floor and metasrv runs per client count, alternating; the median ratio counts. */
  private static final int PAIRS = 3;
  /** A 1-client run creates this many times the tables per client of a 16-client run. */
  private static final int ONE_CLIENT_FACTOR = 5;
  /** Warm-up ends after a round in which the leader's compilers were busy less than this. */
  private static final double QUIET_JIT_PERCENT = 20;
  private static final int MAX_WARM_UP_ROUNDS = 8;
  private static final Pattern COMPILE_TIME = Pattern.compile(
      "(?m)^jvm_compilation_time_ms_total\\{[^}]*\\} ([0-9.eE+-]+)$");

  public static void main(String[] args) throws Exception {
    if (!Files.isRegularFile(MetasrvNode.JAR)) {
      throw new IllegalStateException(MetasrvNode.JAR + " is missing; build it with "
          + "`mvn -B -q -DskipTests package`");
    }
    int perClient = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    System.out.printf("ddl bench: CREATE TABLE with %d regions, 3 simulated datanodes, 3"
        + " processes on a fresh etcd; load average %s%n", REGIONS, loadAverage());
    Path dir = Files.createTempDirectory("metasrv-ddl-bench-");
    try (EtcdProcess etcd = EtcdProcess.start();
        MetasrvCluster cluster = MetasrvCluster.start(3, List.of("--backend", "etcd_store",
            "--store-addrs", "127.0.0.1:" + etcd.clientPort()), dir, List.of())) {
      MetasrvNode leader = cluster.awaitSingleLeader(Duration.ofSeconds(30));
      System.out.printf("leader %s, logs under %s%n", leader.name(), dir);
      SimulatedNodes nodes = new SimulatedNodes(
          cluster.nodes().stream().map(MetasrvNode::serverAddr).toList(), MonotonicClock.SYSTEM);
      List<SimulatedDatanode> datanodes = new ArrayList<>();
      for (long id = 1; id <= 3; id++) {
        SimulatedDatanode datanode = nodes.servingDatanode(id)
            .withHeartbeatInterval(Duration.ofSeconds(3));
        datanode.start().get(30, TimeUnit.SECONDS);
        datanodes.add(datanode);
      }
      ManagedChannel channel = ManagedChannelBuilder.forTarget(leader.serverAddr())
          .usePlaintext().build();
      ProcedureServiceGrpc.ProcedureServiceBlockingStub ddl =
          ProcedureServiceGrpc.newBlockingStub(channel);
      ddl.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).ddl(request()
          .setCreateDatabaseTask(CreateDatabaseTask.newBuilder().setCreateDatabase(
              CreateDatabaseExpr.newBuilder().setCatalogName("greptime")
                  .setSchemaName("bench"))).build());
      long firstTable = createFirstTable(ddl);
      // The floor's own datanodes: never started, so they serve Region/Handle but do not
      // heartbeat, and the leader never hears of the floor's regions (on the metasrv's
      // datanodes, each heartbeat after a floor run had the leader read the routes of the
      // hundreds of tables it did not know, 20-140 ms of store reads, during metasrv's runs)
      List<SimulatedDatanode> floorDatanodes = new ArrayList<>();
      for (SimulatedDatanode datanode : datanodes) {
        floorDatanodes.add(nodes.servingDatanode(100 + datanode.nodeId()));
      }
      Floor floor = Floor.copying(etcd, datanodes, floorDatanodes, firstTable);
      MetasrvTables tables = new MetasrvTables(ddl);
      // Not measured: until both sides' code is compiled, the JIT compilers take a good part
      // of the 2 cores the creates run on.
      warmUp(leader, tables, floor, perClient);
      JitShare measured = JitShare.since(leader);
      for (int clients : CLIENTS) {
        int each = clients == 1 ? perClient * ONE_CLIENT_FACTOR : perClient;
        List<Double> ratios = new ArrayList<>();
        LeaderTimers timers = LeaderTimers.NONE;
        double metasrvMillis = 0;
        for (int pair = 1; pair <= PAIRS; pair++) {
          Result floorRun = run("floor", clients, each, index -> floor.create());
          LeaderTimers before = LeaderTimers.of(leader);
          Map<String, Long> created = new ConcurrentHashMap<>();
          Result metasrvRun = tables.create(clients, each, created);
          timers = timers.plus(LeaderTimers.of(leader).minus(before));
          tables.drop(clients, created); // not measured: keeps the heartbeats' size
          metasrvMillis += metasrvRun.meanMillis();
          double ratio = metasrvRun.perSecond() / floorRun.perSecond();
          ratios.add(ratio);
          System.out.printf("%2d client(s), pair %d: metasrv %6.1f tables/s (p50 %5.1f ms, p99"
                  + " %6.1f ms)  floor %6.1f tables/s (p50 %5.1f ms, p99 %6.1f ms)"
                  + "  metasrv/floor %.2f; load average %s%n", clients, pair,
              metasrvRun.perSecond(), metasrvRun.p50(), metasrvRun.p99(),
              floorRun.perSecond(), floorRun.p50(), floorRun.p99(), ratio, loadAverage());
        }
        Collections.sort(ratios);
        System.out.printf("%2d client(s): metasrv/floor %.2f (median of %d pairs, %d tables"
                + " each side per pair); leader's store calls per create: %s; the leader's"
                + " mean time from submit to done: %.2f ms of the client's %.2f ms%n", clients,
            ratios.get(ratios.size() / 2), PAIRS, clients * each,
            timers.storeCallsPerCreate(PAIRS * clients * each), timers.createMillis(),
            metasrvMillis / PAIRS);
      }
      System.out.println("measured rounds: " + measured.busy());
      System.out.printf("region Creates the datanodes received: %d from metasrv, %d from the"
          + " floor%n", creates(datanodes), creates(floorDatanodes));
      floor.close();
      channel.shutdownNow();
      nodes.close();
    }
    System.exit(0);
  }

  /**
   * Warm-up rounds, not measured, until the leader's JIT compilers were busy less than {@link
   * #QUIET_JIT_PERCENT} of a round (at most {@link #MAX_WARM_UP_ROUNDS}): each round creates {@code
   * 16 * perClient} tables on each side at 16 clients, then drops the metasrv side's tables
   * through {@code ProcedureService.ddl}, so that the datanodes' heartbeats do not grow from
   * round to round (the floor's regions, which no route names, are closed by their first
   * lease renewal).
   */
  private static void warmUp(MetasrvNode leader, MetasrvTables tables, Floor floor,
      int perClient) throws Exception {
    int clients = CLIENTS[CLIENTS.length - 1];
    for (int round = 1; ; round++) {
      JitShare share = JitShare.since(leader);
      run("floor", clients, perClient, index -> floor.create());
      Map<String, Long> created = new ConcurrentHashMap<>();
      tables.create(clients, perClient, created);
      tables.drop(clients, created);
      JitShare.Busy busy = share.busy();
      System.out.printf("warm-up round %d (%d tables created and dropped through metasrv, as"
          + " many floor creates), not measured: %s%n", round, created.size(), busy);
      if (busy.leaderPercent() < QUIET_JIT_PERCENT || round == MAX_WARM_UP_ROUNDS) {
        return;
      }
    }
  }

  /** Tables created and dropped through {@code ProcedureService.ddl}, each name used once. */
  private static final class MetasrvTables {
    private final ProcedureServiceGrpc.ProcedureServiceBlockingStub ddl;
    private final AtomicInteger names = new AtomicInteger();

    MetasrvTables(ProcedureServiceGrpc.ProcedureServiceBlockingStub ddl) {
      this.ddl = ddl;
    }

    /** {@code each} creates from each of {@code clients} clients, measured; ids into created. */
    Result create(int clients, int each, Map<String, Long> created)
        throws InterruptedException {
      return run("metasrv", clients, each, index -> {
        String table = "t" + names.incrementAndGet();
        DdlTaskResponse response = ddl.withDeadlineAfter(DEADLINE.toMillis(),
            TimeUnit.MILLISECONDS).ddl(createTable(table));
        if (response.getTableIdsCount() != 1) {
          throw new IllegalStateException("no table id in " + response);
        }
        created.put(table, response.getTableIds(0).getId() & 0xFFFF_FFFFL);
      });
    }

    /** Drops the tables {@code created} names, from {@code clients} clients. */
    void drop(int clients, Map<String, Long> created) throws InterruptedException {
      List<Map.Entry<String, Long>> toDrop = new ArrayList<>(created.entrySet());
      AtomicInteger next = new AtomicInteger();
      int each = (toDrop.size() + clients - 1) / clients;
      run("metasrv drop", clients, each, index -> {
        int i = next.getAndIncrement();
        if (i < toDrop.size()) {
          ddl.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .ddl(dropTable(toDrop.get(i).getKey(), toDrop.get(i).getValue()));
        }
      });
    }
  }

  private static long creates(List<SimulatedDatanode> datanodes) {
    return datanodes.stream().mapToLong(datanode ->
        datanode.regionRequests(RegionRequest.BodyCase.CREATE).size()).sum();
  }

  /** Creates the first table (retried until the leader has seen the datanodes); its id. */
  private static long createFirstTable(ProcedureServiceGrpc.ProcedureServiceBlockingStub ddl)
      throws InterruptedException {
    long until = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      try {
        return ddl.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .ddl(createTable("first")).getTableIds(0).getId();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.INTERNAL || System.nanoTime() > until) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  @FunctionalInterface
  interface Create {
    void run(int index) throws Exception;
  }

  /**
   * The leader's timers so far, from its {@code /metrics}: its calls to its store by operation
   * ({@code metasrv_kv_operation_seconds}: count and total seconds), and under {@link #CREATES}
   * its CREATE TABLE tasks from submit to done ({@code metasrv_ddl_seconds}). Heartbeats write
   * little (3 datanodes every 3 s), so the difference across a run is what the creates cost.
   */
  record LeaderTimers(Map<String, double[]> byName) {
    /** The key of the leader's CREATE TABLE timer, which is not a store operation. */
    static final String CREATES = "create_table_task";
    private static final Pattern LINE = Pattern.compile("(metasrv_kv_operation|metasrv_ddl)"
        + "_seconds_(count|sum)\\{([^}]*)\\} ([0-9.eE+-]+)");
    private static final Pattern OP = Pattern.compile("(?:op|kind)=\"([a-z_]+)\"");

    static LeaderTimers of(MetasrvNode leader) throws Exception {
      String metrics = leader.sendOrThrow("GET", "/metrics", Duration.ofSeconds(10)).body();
      Map<String, double[]> byName = new TreeMap<>();
      Matcher line = LINE.matcher(metrics);
      while (line.find()) {
        Matcher op = OP.matcher(line.group(3));
        boolean ddl = line.group(1).equals("metasrv_ddl");
        if (op.find() && (!ddl || op.group(1).equals(CREATES))) {
          byName.computeIfAbsent(op.group(1), k -> new double[2])
              [line.group(2).equals("count") ? 0 : 1] += Double.parseDouble(line.group(4));
        }
      }
      return new LeaderTimers(byName);
    }

    /** The leader's mean time from a create's submit to its end, in ms. */
    double createMillis() {
      double[] creates = byName.getOrDefault(CREATES, new double[2]);
      return creates[0] > 0 ? creates[1] / creates[0] * 1e3 : Double.NaN;
    }

    static final LeaderTimers NONE = new LeaderTimers(Map.of());

    LeaderTimers plus(LeaderTimers other) {
      Map<String, double[]> sum = new TreeMap<>();
      for (LeaderTimers timers : List.of(this, other)) {
        timers.byName.forEach((op, counts) -> {
          double[] total = sum.computeIfAbsent(op, k -> new double[2]);
          total[0] += counts[0];
          total[1] += counts[1];
        });
      }
      return new LeaderTimers(sum);
    }

    LeaderTimers minus(LeaderTimers earlier) {
      Map<String, double[]> diff = new TreeMap<>();
      byName.forEach((op, now) -> {
        double[] then = earlier.byName.getOrDefault(op, new double[2]);
        diff.put(op, new double[] {now[0] - then[0], now[1] - then[1]});
      });
      return new LeaderTimers(diff);
    }

    /** e.g. {@code 6.1 (txn 4.0 at 3.2 ms, range 2.1 at 1.0 ms, ...)}. */
    String storeCallsPerCreate(int creates) {
      StringBuilder text = new StringBuilder();
      double total = 0;
      for (Map.Entry<String, double[]> entry : byName.entrySet()) {
        double[] calls = entry.getValue();
        if (calls[0] <= 0 || entry.getKey().equals(CREATES)) {
          continue;
        }
        total += calls[0] / creates;
        text.append(text.length() == 0 ? "" : ", ").append(String.format("%s %.2f at %.1f ms",
            entry.getKey(), calls[0] / creates, calls[1] / calls[0] * 1e3));
      }
      return String.format("%.2f (%s)", total, text);
    }
  }

  /**
   * How busy the JIT compilers of the leader ({@code jvm_compilation_time_ms_total} from its
   * {@code /metrics}) and of this JVM were since a point in time, as a share of the time since.
   */
  record JitShare(MetasrvNode leader, double leaderMillis, long benchMillis, long startNanos) {
    static JitShare since(MetasrvNode leader) throws Exception {
      return new JitShare(leader, leaderCompileMillis(leader),
          ManagementFactory.getCompilationMXBean().getTotalCompilationTime(), System.nanoTime());
    }

    /** How busy both JVMs' compilers were since {@link #since}. */
    Busy busy() throws Exception {
      double elapsedMillis = (System.nanoTime() - startNanos) / 1e6;
      return new Busy((leaderCompileMillis(leader) - leaderMillis) / elapsedMillis * 100,
          (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - benchMillis)
              / elapsedMillis * 100, elapsedMillis / 1e3);
    }

    /** Compiler time as a percentage of the elapsed time, in the leader and in this JVM. */
    record Busy(double leaderPercent, double benchPercent, double seconds) {
      @Override
      public String toString() {
        return String.format("JIT compilers busy %.0f%% of the %.1f s in the leader, %.0f%% in"
            + " this JVM", leaderPercent, seconds, benchPercent);
      }
    }

    private static double leaderCompileMillis(MetasrvNode leader) throws Exception {
      Matcher total = COMPILE_TIME.matcher(
          leader.sendOrThrow("GET", "/metrics", Duration.ofSeconds(10)).body());
      if (!total.find()) {
        throw new IllegalStateException("no jvm_compilation_time_ms_total in the leader's metrics");
      }
      return Double.parseDouble(total.group(1));
    }
  }

  /** Throughput and latency percentiles in ms. */
  /** A run: creates per second, p50, p99 and mean latency in ms. */
  record Result(String name, int clients, double perSecond, double p50, double p99,
      double meanMillis) {}

  private static Result run(String name, int clients, int each, Create create)
      throws InterruptedException {
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      Thread thread = new Thread(() -> {
        try {
          for (int i = 0; i < each && failure.get() == null; i++) {
            long began = System.nanoTime();
            create.run(i);
            latencies.add(System.nanoTime() - began);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "bench-" + name + "-" + c);
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    long elapsed = System.nanoTime() - start;
    if (failure.get() != null) {
      throw new IllegalStateException(name + " with " + clients + " clients failed",
          failure.get());
    }
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    return new Result(name, clients, sorted.size() / (elapsed / 1e9),
        percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
        sorted.stream().mapToLong(Long::longValue).average().orElse(Double.NaN) / 1e6);
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  /**
   * The floor's create: the first table's 8 region Creates to their datanodes under a fresh
   * table id, then its metadata keys under {@code bench_floor/} in one transaction.
   */
  private static final class Floor implements AutoCloseable {
    private final EtcdKv kv;
    private final DatanodeRegionClient regions;
    private final List<Peer> peers;
    private final List<RegionRequest> creates;
    private final List<KeyValue> metadata;
    private final AtomicInteger tableIds = new AtomicInteger(1_000_000);

    private Floor(EtcdKv kv, List<Peer> peers, List<RegionRequest> creates,
        List<KeyValue> metadata) {
      this.kv = kv;
      this.regions = new DatanodeRegionClient(DatanodeOptions.Client.defaults());
      this.peers = peers;
      this.creates = creates;
      this.metadata = metadata;
    }

    /**
     * The floor of the table {@code tableId} the metasrv created on {@code datanodes}: its
     * Creates go to the floor datanode at the same place of {@code floorDatanodes}.
     */
    static Floor copying(EtcdProcess etcd, List<SimulatedDatanode> datanodes,
        List<SimulatedDatanode> floorDatanodes, long tableId) {
      EtcdKv kv = EtcdKv.connect(EtcdKvConfig.of(etcd.endpoint()), KvLimits.DEFAULT);
      List<Peer> peers = new ArrayList<>();
      List<RegionRequest> creates = new ArrayList<>();
      for (int i = 0; i < datanodes.size(); i++) {
        SimulatedDatanode floorDatanode = floorDatanodes.get(i);
        for (RegionRequest create : datanodes.get(i).regionRequests(
            RegionRequest.BodyCase.CREATE)) {
          if (create.getCreate().getRegionId() >>> 32 == tableId) {
            peers.add(new Peer(floorDatanode.nodeId(), floorDatanode.addr()));
            creates.add(create);
          }
        }
      }
      if (creates.size() != REGIONS) {
        throw new IllegalStateException("the first table had " + creates.size()
            + " region Creates, not " + REGIONS);
      }
      List<KeyValue> metadata = new ArrayList<>();
      for (String key : List.of("__table_name/greptime/bench/first", "__table_info/" + tableId,
          "__table_route/" + tableId)) {
        metadata.add(kv.get(Bytes.utf8(key)).orElseThrow(
            () -> new IllegalStateException("the first table has no " + key)));
      }
      for (KeyValue stored : kv.range(RangeRequest.prefix(Bytes.utf8("__dn_table/"))).kvs()) {
        if (Bytes.utf8(stored.key()).endsWith("/" + tableId)) {
          metadata.add(stored);
        }
      }
      return new Floor(kv, peers, creates, metadata);
    }

    void create() throws Exception {
      int tableId = tableIds.incrementAndGet();
      List<CompletableFuture<?>> answers = new ArrayList<>();
      for (int i = 0; i < creates.size(); i++) {
        RegionRequest create = creates.get(i);
        long number = create.getCreate().getRegionId() & 0xFFFF_FFFFL;
        answers.add(regions.handle(peers.get(i), create.toBuilder().setCreate(
            create.getCreate().toBuilder().setRegionId((long) tableId << 32 | number)).build()));
      }
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
          .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      List<TxnOp> puts = new ArrayList<>();
      for (KeyValue stored : metadata) {
        puts.add(TxnOp.put(key(stored, tableId), stored.value()));
      }
      boolean created = kv.txn(Txn.when(List.of(Compare.absent(key(metadata.get(1), tableId)),
          Compare.absent(key(metadata.get(2), tableId))), puts, List.of())).succeeded();
      if (!created) {
        throw new IllegalStateException("floor table " + tableId + " exists");
      }
    }

    private static byte[] key(KeyValue stored, int tableId) {
      return Bytes.utf8("bench_floor/" + tableId + "/" + Bytes.utf8(stored.key()));
    }

    @Override
    public void close() {
      regions.close();
      kv.close();
    }
  }

  private static DdlTaskRequest.Builder request() {
    return DdlTaskRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setProtocolVersion(1).setRole(Role.FRONTEND))
        .setQueryContext(QueryContext.newBuilder().setCurrentCatalog("greptime")
            .setCurrentSchema("bench"));
  }

  /**
   * {@code CREATE TABLE bench.<table> (ts TIMESTAMP TIME INDEX, host STRING PRIMARY KEY, cpu
   * DOUBLE) PARTITION ON COLUMNS (host) (host < 'c', ..., host >= 'u')} as GreptimeDB's frontend
   * sends it.
   */
  private static DdlTaskRequest createTable(String table) {
    CreateTableExpr expr = CreateTableExpr.newBuilder().setCatalogName("greptime")
        .setSchemaName("bench").setTableName(table).setEngine("mito").setTimeIndex("ts")
        .addColumnDefs(ColumnDef.newBuilder().setName("ts")
            .setDataType(ColumnDataType.TIMESTAMP_MILLISECOND).setIsNullable(false)
            .setSemanticType(SemanticType.TIMESTAMP))
        .addColumnDefs(ColumnDef.newBuilder().setName("host").setDataType(ColumnDataType.STRING)
            .setIsNullable(true).setSemanticType(SemanticType.TAG))
        .addColumnDefs(ColumnDef.newBuilder().setName("cpu").setDataType(ColumnDataType.FLOAT64)
            .setIsNullable(true).setSemanticType(SemanticType.FIELD))
        .addPrimaryKeys("host").build();
    String tableInfo = "{\"ident\":{\"table_id\":0,\"version\":0},\"name\":\"" + table
        + "\",\"desc\":null,\"catalog_name\":\"greptime\",\"schema_name\":\"bench\",\"meta\":"
        + "{\"schema\":{\"column_schemas\":[{\"name\":\"ts\",\"data_type\":{\"Timestamp\":"
        + "{\"Millisecond\":null}},\"is_nullable\":false,\"is_time_index\":true,"
        + "\"default_constraint\":null,\"metadata\":{\"greptime:time_index\":\"true\"}},"
        + "{\"name\":\"host\",\"data_type\":{\"String\":null},\"is_nullable\":true,"
        + "\"is_time_index\":false,\"default_constraint\":null,\"metadata\":{}},{\"name\":"
        + "\"cpu\",\"data_type\":{\"Float64\":{}},\"is_nullable\":true,\"is_time_index\":false,"
        + "\"default_constraint\":null,\"metadata\":{}}],\"timestamp_index\":0,\"version\":0},"
        + "\"primary_key_indices\":[1],\"value_indices\":[2],\"engine\":\"mito\","
        + "\"next_column_id\":3,\"region_numbers\":[],\"options\":{\"write_buffer_size\":null,"
        + "\"ttl\":null,\"skip_wal\":false,\"extra_options\":{}},\"created_on\":"
        + "\"2025-03-31T13:25:05.123456789Z\",\"partition_key_indices\":[1]},"
        + "\"table_type\":\"Base\"}";
    CreateTableTask.Builder task = CreateTableTask.newBuilder().setCreateTable(expr)
        .setTableInfo(ByteString.copyFromUtf8(tableInfo));
    for (String bound : hostPartitions()) {
      task.addPartitions(Partition.newBuilder().addColumnList(ByteString.copyFromUtf8("host"))
          .addValueList(ByteString.copyFromUtf8(bound)));
    }
    return request().setCreateTableTask(task).build();
  }

  /** {@code DROP TABLE bench.<table>} as GreptimeDB's frontend sends it. */
  private static DdlTaskRequest dropTable(String table, long tableId) {
    return request().setDropTableTask(DropTableTask.newBuilder().setDropTable(
        DropTableExpr.newBuilder().setCatalogName("greptime").setSchemaName("bench")
            .setTableName(table).setTableId(TableId.newBuilder().setId((int) tableId))))
        .build();
  }

  /** The 8 PartitionBound exprs, as GreptimeDB's frontend serializes them. */
  private static List<String> hostPartitions() {
    String host = "{\"Column\":\"host\"}";
    List<String> bounds = new ArrayList<>();
    bounds.add(bound(host, "Lt", string(SPLITS[0])));
    for (int i = 1; i < SPLITS.length; i++) {
      bounds.add(bound(bound(host, "GtEq", string(SPLITS[i - 1])), "And",
          bound(host, "Lt", string(SPLITS[i]))));
    }
    bounds.add(bound(host, "GtEq", string(SPLITS[SPLITS.length - 1])));
    return bounds;
  }

  private static String bound(String lhs, String op, String rhs) {
    return "{\"Expr\":{\"lhs\":" + lhs + ",\"op\":\"" + op + "\",\"rhs\":" + rhs + "}}";
  }

  private static String string(String value) {
    return "{\"Value\":{\"String\":\"" + value + "\"}}";
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (Exception e) {
      return "unknown";
    }
  }
}
