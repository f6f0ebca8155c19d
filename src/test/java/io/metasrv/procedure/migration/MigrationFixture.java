package io.metasrv.procedure.migration;

import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.failure.RegionFailureDetectors;
import io.metasrv.heartbeat.CacheInvalidator;
import io.metasrv.heartbeat.Mailbox;
import io.metasrv.heartbeat.MemoryRegionKeeper;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.heartbeat.Pushers;
import io.metasrv.heartbeat.instruction.Instruction;
import io.metasrv.heartbeat.instruction.InstructionReply;
import io.metasrv.heartbeat.instruction.MailboxMessages;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.Region;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRoutes;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.ProcedureId;
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.MailboxMessage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * One table (id 1024, regions 1 and 2 led by datanode 1) in a memory store, a mailbox whose
 * datanodes answer from the test's scripts, and a clock that moves only when the migration sleeps.
 */
final class MigrationFixture implements AutoCloseable {
  static final long TABLE_ID = 1024;
  static final long REGION = RegionId.of(TABLE_ID, 1);
  static final long OTHER_REGION = RegionId.of(TABLE_ID, 2);
  static final Peer DN1 = new Peer(1, "10.0.0.1:4001");
  static final Peer DN2 = new Peer(2, "10.0.0.2:4001");
  static final RegionInfo REGION_INFO = new RegionInfo("mito2", "greptime/public", Map.of(),
      Map.of(1L, "{\"wal.provider\":\"raft_engine\"}"));

  final MemoryKv kv = new MemoryKv();
  final TableRoutes routes = new TableRoutes(kv);
  final Pushers pushers = new Pushers();
  final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
  final AtomicLong ids = new AtomicLong();
  final Mailbox mailbox = new Mailbox(pushers, ids::incrementAndGet, deadlines,
      new SimpleMeterRegistry());
  final FakeClock clock = new FakeClock();
  final MemoryRegionKeeper keeper = new MemoryRegionKeeper();
  final RegionFailureDetectors detectors =
      new RegionFailureDetectors(FailureDetectorOptions.defaults(), clock::wallMillis);
  final MigrationTracker tracker = new MigrationTracker();
  final Map<Long, Long> lastHeartbeats = new HashMap<>();
  /** Every instruction a datanode received, with the wall time it arrived. */
  final List<Received> received = new CopyOnWriteArrayList<>();
  final MigrationEnvironment env = new MigrationEnvironment(routes, new RouteWriter(routes),
      mailbox, "127.0.0.1:3002",
      keeper, detectors, new CacheInvalidator(mailbox, "127.0.0.1:3002", clock::wallMillis),
      id -> lastHeartbeats.containsKey(id) ? OptionalLong.of(lastHeartbeats.get(id))
          : OptionalLong.empty(),
      tracker, clock);

  record Received(long datanodeId, Instruction instruction, long wallMillis) {}

  MigrationFixture() {
    kv.put(new TableInfoKey(TABLE_ID).toBytes(), utf8("{\"version\":0,\"table_info\":{"
        + "\"ident\":{\"table_id\":1024,\"version\":0},\"name\":\"t\",\"desc\":null,"
        + "\"catalog_name\":\"greptime\",\"schema_name\":\"public\",\"meta\":{"
        + "\"engine\":\"mito\",\"region_numbers\":[1,2]},\"table_type\":\"Base\"}}"));
    kv.put(new TableRouteKey(TABLE_ID).toBytes(), PhysicalTableRouteValue.of(List.of(
        RegionRoute.led(Region.of(REGION), DN1),
        RegionRoute.led(Region.of(OTHER_REGION), DN1))).encode());
    kv.put(new DatanodeTableKey(1, TABLE_ID).toBytes(),
        DatanodeTableValue.of(TABLE_ID, List.of(1L, 2L), REGION_INFO).encode());
  }

  /** Connects a datanode whose replies come from {@code answer} (null: no reply). */
  void connect(long datanodeId, Function<Instruction, InstructionReply> answer) {
    pushers.register(PusherKey.datanode(datanodeId), response -> {
      MailboxMessage message = response.getMailboxMessage();
      Instruction instruction = MailboxMessages.readInstruction(message);
      received.add(new Received(datanodeId, instruction, clock.wallMillis()));
      InstructionReply reply = answer.apply(instruction);
      if (reply != null) {
        mailbox.onReply(MailboxMessages.reply(message, clock.wallMillis(), reply));
      }
      return true;
    });
  }

  /** A datanode that does everything asked; its downgrade reports last entry 42. */
  static InstructionReply obliging(Instruction instruction) {
    if (instruction instanceof Instruction.OpenRegion) {
      return new InstructionReply.OpenRegion(true, null);
    } else if (instruction instanceof Instruction.DowngradeRegion) {
      return new InstructionReply.DowngradeRegion(42L, true, null);
    } else if (instruction instanceof Instruction.UpgradeRegion) {
      return new InstructionReply.UpgradeRegion(true, true, null);
    } else if (instruction instanceof Instruction.CloseRegion) {
      return new InstructionReply.CloseRegion(true, null);
    }
    return null;
  }

  PersistentContext context(Duration timeout) {
    return new PersistentContext("greptime", "public", DN1, DN2, REGION, timeout);
  }

  PhysicalTableRouteValue route() {
    return routes.physical(TABLE_ID).orElseThrow().value();
  }

  RegionRoute regionRoute() {
    return route().regionRoute(REGION).orElseThrow();
  }

  /**
   * Runs the procedure as the framework would: until Done, retrying RetryLater up to {@code
   * retries} times; records the dumps persisted.
   */
  Status run(RegionMigrationProcedure procedure, List<String> persisted, int retries)
      throws Exception {
    ProcedureContext context = context();
    int retried = 0;
    while (true) {
      Status status;
      try {
        status = procedure.execute(context);
      } catch (RetryLaterException e) {
        if (++retried > retries) {
          throw e;
        }
        continue;
      }
      if (status instanceof Status.Executing executing && executing.persist()) {
        persisted.add(procedure.dump());
      }
      if (status instanceof Status.Done) {
        return status;
      }
    }
  }

  static ProcedureContext context() {
    ProcedureId id = ProcedureId.random();
    return new ProcedureContext() {
      @Override
      public ProcedureId procedureId() {
        return id;
      }

      @Override
      public boolean stopping() {
        return false;
      }
    };
  }

  /** The instructions a datanode was sent, cache invalidations left out. */
  List<Class<?>> instructionsTo(long datanodeId) {
    List<Class<?>> kinds = new ArrayList<>();
    for (Received r : received) {
      if (r.datanodeId() == datanodeId
          && !(r.instruction() instanceof Instruction.InvalidateCaches)) {
        kinds.add(r.instruction().getClass());
      }
    }
    return kinds;
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    deadlines.shutdownNow();
  }

  /** Wall and monotonic time that move together, only when something sleeps or a test says. */
  static final class FakeClock implements MigrationClock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final long wallOriginMillis = 1_700_000_000_000L;

    @Override
    public long wallMillis() {
      return wallOriginMillis + nanos.get() / 1_000_000;
    }

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    @Override
    public void sleep(Duration duration) {
      advance(duration);
    }

    void advance(Duration duration) {
      nanos.addAndGet(duration.toNanos());
    }
  }
}
