package io.metasrv.procedure.migration;

import static io.metasrv.procedure.migration.MigrationFixture.DN1;
import static io.metasrv.procedure.migration.MigrationFixture.DN2;
import static io.metasrv.procedure.migration.MigrationFixture.REGION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.config.ProcedureOptions;
import io.metasrv.heartbeat.instruction.Instruction;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.RegionId;
import io.metasrv.procedure.ProcedureId;
import io.metasrv.procedure.ProcedureManager;
import io.metasrv.procedure.ProcedureState;
import io.metasrv.procedure.ProcedureStateKind;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Migrations submitted, refused and resumed through a real procedure manager. */
class RegionMigrationManagerTest {
  private final MigrationFixture fixture = new MigrationFixture();
  private ProcedureManager procedures = manager();
  /** The datanodes with a live lease. */
  private final Map<Long, Peer> alive = new ConcurrentHashMap<>(Map.of(1L, DN1, 2L, DN2));
  private RegionMigrationManager migrations = new RegionMigrationManager(procedures,
      fixture.env, fixture.kv, id -> Optional.ofNullable(alive.get(id)));

  private ProcedureManager manager() {
    return ProcedureManager.builder(fixture.kv, ProcedureOptions.defaults()).build();
  }

  @AfterEach
  void close() {
    procedures.close();
    fixture.close();
  }

  @Test
  void aSubmittedMigrationRunsToDoneAndFreesItsRegion() throws Exception {
    fixture.connect(1, MigrationFixture::obliging);
    fixture.connect(2, MigrationFixture::obliging);
    procedures.start();

    ProcedureId id = migrations.submit(task(Duration.ofSeconds(10))).orElseThrow();
    ProcedureState finished = procedures.whenFinished(id).get(30, TimeUnit.SECONDS);

    assertThat(finished.kind()).isEqualTo(ProcedureStateKind.Done);
    assertThat(fixture.regionRoute().leaderPeer()).isEqualTo(DN2);
    assertThat(fixture.tracker.contains(REGION)).isFalse();
    assertThat(fixture.kv.range(io.metasrv.kv.RangeRequest.prefix(
        io.metasrv.kv.Bytes.utf8("/__procedure__/"))).kvs()).isEmpty();
    assertThat(migrations.submit(task(Duration.ofSeconds(10)))).as("already there").isEmpty();
  }

  @Test
  void badRequestsAreRefusedBeforeAnyProcedureStarts() throws Exception {
    procedures.start();
    assertRefused(new MigrationTask(REGION, DN1, DN1, Duration.ofSeconds(10)),
        MigrationRefusedException.Reason.INVALID_ARGUMENTS, "same datanode");
    assertRefused(task(Duration.ZERO), MigrationRefusedException.Reason.INVALID_ARGUMENTS,
        "timeout must be positive");
    assertRefused(new MigrationTask(RegionId.of(4096, 1), DN1, DN2, Duration.ofSeconds(10)),
        MigrationRefusedException.Reason.TABLE_ROUTE_NOT_FOUND, "Table route not found: 4096");
    assertRefused(new MigrationTask(RegionId.of(1024, 9), DN1, DN2, Duration.ofSeconds(10)),
        MigrationRefusedException.Reason.REGION_ROUTE_NOT_FOUND, "Region route not found");
    assertRefused(new MigrationTask(REGION, new Peer(3, ""), DN2, Duration.ofSeconds(10)),
        MigrationRefusedException.Reason.INVALID_ARGUMENTS, "`from_peer`");
    assertThat(procedures.list()).isEmpty();

    alive.remove(1L);
    assertThatThrownBy(() -> migrations.migrate(REGION, 1, 2, Duration.ofSeconds(10)))
        .isInstanceOf(MigrationRefusedException.class)
        .hasMessage("The target peer is unavailable temporally: 1");
  }

  @Test
  void aSecondMigrationOfARunningRegionIsRefusedWithGreptimeDbsMessage() throws Exception {
    CountDownLatch opening = new CountDownLatch(1);
    fixture.connect(2, instruction -> {
      opening.countDown();
      return null; // never answers: the first migration waits in OpenCandidateRegion
    });
    procedures.start();
    migrations.submit(task(Duration.ofSeconds(10))).orElseThrow();
    assertThat(opening.await(10, TimeUnit.SECONDS)).isTrue();

    assertRefused(task(Duration.ofSeconds(10)),
        MigrationRefusedException.Reason.MIGRATION_RUNNING,
        "Another migration procedure is running for region: " + RegionId.display(REGION));
  }

  @Test
  void aNewLeaderResumesAMigrationThePreviousOneLeftAndFinishesIt() throws Exception {
    CountDownLatch downgrading = new CountDownLatch(1);
    fixture.connect(2, MigrationFixture::obliging);
    fixture.connect(1, instruction -> {
      if (instruction instanceof Instruction.DowngradeRegion) {
        downgrading.countDown();
        return null; // the old leader hangs; the leader steps down meanwhile
      }
      return MigrationFixture.obliging(instruction);
    });
    procedures.start();
    ProcedureId id = migrations.submit(task(Duration.ofSeconds(60))).orElseThrow();
    assertThat(downgrading.await(10, TimeUnit.SECONDS)).isTrue();
    procedures.stop();
    migrations.onLeaderStop();
    assertThat(procedures.whenFinished(id).get(10, TimeUnit.SECONDS).kind())
        .isEqualTo(ProcedureStateKind.Failed);
    assertThat(fixture.regionRoute().leaderDowngrading()).as("left as it was").isTrue();

    fixture.connect(1, MigrationFixture::obliging);
    procedures.close();
    procedures = manager();
    migrations = new RegionMigrationManager(procedures, fixture.env, fixture.kv,
        peer -> Optional.of(new Peer(peer, "")));
    procedures.start();

    assertThat(procedures.whenFinished(id).get(30, TimeUnit.SECONDS).kind())
        .isEqualTo(ProcedureStateKind.Done);
    assertThat(fixture.regionRoute().leaderPeer()).isEqualTo(DN2);
    assertThat(fixture.regionRoute().leaderState()).isNull();
    assertThat(fixture.tracker.size()).isZero();
  }

  private static MigrationTask task(Duration timeout) {
    return new MigrationTask(REGION, DN1, DN2, timeout);
  }

  private void assertRefused(MigrationTask task, MigrationRefusedException.Reason reason,
      String message) {
    assertThatThrownBy(() -> migrations.submit(task))
        .isInstanceOfSatisfying(MigrationRefusedException.class,
            refused -> assertThat(refused.reason()).isEqualTo(reason))
        .hasMessageContaining(message);
  }
}
