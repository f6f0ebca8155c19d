package io.metasrv.bench;

import io.metasrv.cluster.ClusterView;
import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.fence.FencedKv;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.HeartbeatContext;
import io.metasrv.heartbeat.HeartbeatHandlerChain;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.ParsedHeartbeat;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.heartbeat.Pushers;
import io.metasrv.heartbeat.handler.HeartbeatHandlers;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.Role;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The leader's own cost per datanode heartbeat, apart from the transport and from other work on
 * the machine: the standard handler chain on a memory store, driven on one thread by the
 * periodic heartbeats of simulated datanodes (100 regions each, every region's table route in
 * the store) on a fake clock advancing 3 s a round, each request parsed from its bytes and each
 * response serialized as the transport would. Reports this thread's CPU time and heap allocation
 * per heartbeat, which other processes on the machine disturb far less than latency.
 *
 * <p>Run it with {@code bench/heartbeat-chain-cpu [datanodes] [rounds]} (default 1,000 and 10).
 */
public final class HeartbeatChainCpuBench {
  private static final int REGIONS_PER_DATANODE = 100;
  private static final long FIRST_TABLE = 1024;
  private static final int WARM_UP_ROUNDS = 8;
  private static final long INTERVAL_MILLIS = 3000;

  public static void main(String[] args) throws Exception {
    int datanodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    MemoryKv store = new MemoryKv(KvLimits.DEFAULT);
    FencedKv leaderKv = new FencedKv(store, epoch -> { });
    leaderKv.acquire(1);
    AtomicLong now = new AtomicLong(1_700_000_000_000L);
    ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Pushers pushers = new Pushers();
    AtomicLong mailboxIds = new AtomicLong();
    Mailbox mailbox = new Mailbox(pushers, mailboxIds::incrementAndGet, deadlines, registry);
    HeartbeatHandlerChain chain = new HeartbeatHandlerChain(HeartbeatHandlers.standard(
        () -> true, new ClusterView(), leaderKv, mailbox, new MemoryRegionKeeper(),
        new CacheInvalidator(mailbox, "10.0.0.1:3002", now::get),
        new RegionFailureDetectors(FailureDetectorOptions.defaults(), now::get), 3, registry,
        now::get), registry);

    byte[][] requests = new byte[datanodes][];
    PusherKey[] keys = new PusherKey[datanodes];
    try (SimulatedNodes kit = new SimulatedNodes(List.of("127.0.0.1:1"), MonotonicClock.SYSTEM)) {
      for (int node = 0; node < datanodes; node++) {
        long datanode = node + 1;
        long table = FIRST_TABLE + node;
        String addr = "10.1." + (datanode / 250) + "." + (datanode % 250) + ":4001";
        List<RegionRoute> routes = new ArrayList<>();
        SimulatedDatanode simulated = kit.datanode(datanode, addr);
        for (long number = 1; number <= REGIONS_PER_DATANODE; number++) {
          long regionId = SimulatedDatanode.regionId(table, number);
          routes.add(RegionRoute.led(Region.of(regionId), new Peer(datanode, addr)));
          simulated.withRegion(regionId, RegionRole.Leader);
        }
        leaderKv.put(new TableRouteKey(table).toBytes(),
            PhysicalTableRouteValue.of(routes).encode());
        requests[node] = simulated.periodicRequest().toByteArray();
        keys[node] = pushers.keyFor(Role.DATANODE, datanode);
      }
    }

    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    long responseBytes = 0;
    long cpuStart = 0;
    long allocatedStart = 0;
    for (int round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
      if (round == WARM_UP_ROUNDS) {
        cpuStart = threads.getCurrentThreadCpuTime();
        allocatedStart = threads.getThreadAllocatedBytes(self);
      }
      now.addAndGet(INTERVAL_MILLIS);
      for (int node = 0; node < datanodes; node++) {
        ParsedHeartbeat request = ParsedHeartbeat.parse(requests[node]);
        HeartbeatResponse response =
            chain.handle(new HeartbeatContext(request, keys[node], now.get()));
        responseBytes += response.toByteArray().length;
      }
    }
    long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
    long allocated = threads.getThreadAllocatedBytes(self) - allocatedStart;
    long heartbeats = (long) datanodes * rounds;
    System.out.printf("heartbeat chain, %,d datanodes x %d regions, %d rounds (%,d heartbeats)"
            + " after %d warm-up rounds: %.1f us CPU and %,d B allocated per heartbeat"
            + " (parse, chain, response bytes; %,d response bytes in all); load %s%n",
        datanodes, REGIONS_PER_DATANODE, rounds, heartbeats, WARM_UP_ROUNDS,
        cpu / 1e3 / heartbeats, allocated / heartbeats, responseBytes,
        new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg")))
            .trim());
    deadlines.shutdownNow();
    System.exit(0);
  }
}
