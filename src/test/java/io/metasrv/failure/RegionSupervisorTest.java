package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.config.FailureDetectorOptions;
import io.metasrv.selector.RoundRobinSelector;
import io.metasrv.selector.SelectTarget;
import io.metasrv.selector.SelectorCandidate;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

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
  private final RegionSupervisor supervisor = new RegionSupervisor(detectors,
      () -> maintenanceRead.getAsBoolean(), failover, new RoundRobinSelector(SelectTarget.DATANODE),
      () -> alive, clock::get, registry);

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
  void aFailoverThatCannotStartIsTriedAgainAtTheNextTick() {
    heartbeatsThenSilence(20_000);
    alive.removeIf(candidate -> candidate.nodeId() == 2);
    supervisor.tick();
    assertThat(failover.started).as("only the failed datanode is alive").isEmpty();

    alive.add(SelectorCandidate.of(3, "10.0.0.3:4001"));
    failover.failNext = true;
    supervisor.tick();
    assertThat(failover.started).isEmpty();
    assertThat(detectors.contains(ON_1)).isTrue();

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

  private static final class RecordingFailover implements RegionFailover {
    final List<String> started = new ArrayList<>();
    volatile boolean enabled = true;
    volatile boolean paused;
    volatile boolean failNext;

    @Override
    public boolean enabled() {
      return enabled;
    }

    @Override
    public boolean paused() {
      return paused;
    }

    @Override
    public boolean failover(FailedRegion failed, SelectorCandidate target) {
      if (failNext) {
        failNext = false;
        throw new IllegalStateException("migration refused");
      }
      started.add(failed.region() + " -> " + target.nodeId());
      return true;
    }
  }
}
