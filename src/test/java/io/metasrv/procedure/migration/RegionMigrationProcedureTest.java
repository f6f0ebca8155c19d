package io.metasrv.procedure.migration;

import static io.metasrv.procedure.migration.MigrationFixture.DN1;
import static io.metasrv.procedure.migration.MigrationFixture.DN2;
import static io.metasrv.procedure.migration.MigrationFixture.OTHER_REGION;
import static io.metasrv.procedure.migration.MigrationFixture.REGION;
import static io.metasrv.procedure.migration.MigrationFixture.TABLE_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.failure.DatanodeRegion;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.heartbeat.instruction.Instruction;
import io.metasrv.heartbeat.instruction.InstructionReply;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.RetryLaterException;
import io.metasrv.procedure.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each step of a migration against a memory store and scripted datanodes, on a fake clock. */
class RegionMigrationProcedureTest {
  private final MigrationFixture fixture = new MigrationFixture();
  private final List<String> persisted = new ArrayList<>();

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void theCandidatesLeaseIsLeftAloneFromItsUpgradeUntilTheRouteNamesIt() throws Exception {
    fixture.connect(1, MigrationFixture::obliging);
    List<String> leaseSeen = new ArrayList<>();
    fixture.connect(2, instruction -> {
      if (instruction instanceof Instruction.InvalidateCaches) {
        return null;
      }
      leaseSeen.add(instruction.getClass().getSimpleName() + " "
          + (!fixture.keeper.isChangingRole(2, REGION)
              ? "echoed" : "left alone"));
      return MigrationFixture.obliging(instruction);
    });
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);

    assertThat(fixture.run(procedure, persisted, 0)).isInstanceOf(Status.Done.class);

    assertThat(leaseSeen).containsExactly("OpenRegion echoed", "UpgradeRegion left alone");
    assertThat(fixture.keeper.isChangingRole(2, REGION)).isFalse();
  }

  @Test
  void movesTheLeaderSendingGreptimeDbsInstructionsInOrder() throws Exception {
    fixture.connect(1, MigrationFixture::obliging);
    fixture.connect(2, MigrationFixture::obliging);
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);

    assertThat(fixture.run(procedure, persisted, 0)).isInstanceOf(Status.Done.class);

    RegionRoute moved = fixture.regionRoute();
    assertThat(moved.leaderPeer()).isEqualTo(DN2);
    assertThat(moved.leaderState()).isNull();
    assertThat(moved.leaderDownSince()).isNull();
    assertThat(fixture.route().regionRoute(OTHER_REGION).orElseThrow().leaderPeer())
        .isEqualTo(DN1);
    assertThat(fixture.route().version()).isEqualTo(2);
    assertThat(fixture.instructionsTo(2)).containsExactly(
        Instruction.OpenRegion.class, Instruction.UpgradeRegion.class);
    assertThat(fixture.instructionsTo(1)).containsExactly(
        Instruction.DowngradeRegion.class, Instruction.CloseRegion.class);
    assertThat(fixture.received).filteredOn(r -> r.instruction().equals(
        new Instruction.InvalidateCaches(List.of(new CacheIdent.TableId(TABLE_ID)))))
        .as("every datanode told to drop the table's cached route").hasSize(2);
    Instruction.OpenRegion open = (Instruction.OpenRegion) fixture.received.get(0).instruction();
    assertThat(open.skipWalReplay()).isTrue();
    assertThat(open.regionIdent().datanodeId()).isEqualTo(2);
    assertThat(open.regionWalOptions()).isEqualTo(MigrationFixture.REGION_INFO.regionWalOptions());
    Instruction.DowngradeRegion downgrade = (Instruction.DowngradeRegion)
        fixture.received.get(1).instruction();
    assertThat(downgrade.rejectWrite()).as("raft-engine WAL").isTrue();
    Instruction.UpgradeRegion upgrade = (Instruction.UpgradeRegion)
        fixture.received.get(2).instruction();
    assertThat(upgrade.lastEntryId()).isEqualTo(42L);
    assertThat(upgrade.locationId()).isEqualTo(1L);
    // __dn_table follows the leaders: datanode 1 keeps region 2, datanode 2 has region 1.
    assertThat(datanodeTable(1).regions()).containsExactly(2L);
    assertThat(datanodeTable(2).regions()).containsExactly(1L);
    assertThat(datanodeTable(2).engine()).isEqualTo("mito2");
    assertThat(fixture.keeper.size()).isZero();
    assertThat(fixture.tracker.size()).isZero();
    assertThat(fixture.detectors.contains(new DatanodeRegion(1, REGION))).isFalse();
    assertThat(fixture.detectors.contains(new DatanodeRegion(2, REGION)))
        .as("watched on the target before it first reports the region").isTrue();
    assertThat(persisted).hasSize(1);
    assertThat(persisted.get(0)).contains("\"region_migration_state\":\"OpenCandidateRegion\"");
  }

  @Test
  void dumpIsGreptimeDbsJsonAndLoadsBack() {
    String upstream = "{\"persistent_ctx\":{\"catalog\":\"greptime\",\"schema\":\"public\","
        + "\"from_peer\":{\"id\":1,\"addr\":\"\"},\"to_peer\":{\"id\":2,\"addr\":\"\"},"
        + "\"region_id\":4398046511105,\"timeout\":\"10s\"},"
        + "\"state\":{\"region_migration_state\":\"RegionMigrationStart\"}}";
    RegionMigrationProcedure loaded = RegionMigrationProcedure.load(upstream, fixture.env);
    assertThat(loaded.dump()).isEqualTo(upstream);
    assertThat(loaded.context().regionId()).isEqualTo(4398046511105L);

    String downgrade = "{\"persistent_ctx\":{\"catalog\":\"greptime\",\"schema\":\"public\","
        + "\"from_peer\":{\"id\":1,\"addr\":\"\"},\"to_peer\":{\"id\":2,\"addr\":\"\"},"
        + "\"region_id\":18446744073709551615,\"timeout\":\"1m 30s\"},"
        + "\"state\":{\"region_migration_state\":\"UpdateMetadata\","
        + "\"UpdateMetadata\":\"Downgrade\"}}";
    RegionMigrationProcedure unsigned = RegionMigrationProcedure.load(downgrade, fixture.env);
    assertThat(unsigned.state()).isInstanceOf(MigrationState.UpdateMetadataDowngrade.class);
    assertThat(unsigned.context().timeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(unsigned.dump()).isEqualTo(downgrade);
    assertThat(RegionMigrationProcedure.load(downgrade.replace(",\"timeout\":\"1m 30s\"", ""),
        fixture.env).context().timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> RegionMigrationProcedure.load(
        upstream.replace("RegionMigrationStart", "Teleport"), fixture.env))
        .hasMessageContaining("Teleport");
  }

  @Test
  void locksCatalogSchemaAndTableSharedAndTheRegionExclusively() {
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);
    assertThat(procedure.lockKeys().keys()).extracting(LockKey::toString).containsExactly(
        "Share(\"__catalog_lock/greptime\")", "Share(\"__schema_lock/greptime.public\")",
        "Share(\"__table_lock/1024\")", "Exclusive(\"__region_lock/" + REGION + "\")");
  }

  @Test
  void anOldLeaderThatCannotBeDowngradedLosesItsLeaseBeforeTheTargetIsUpgraded()
      throws Exception {
    fixture.connect(2, MigrationFixture::obliging);
    // Datanode 1 is gone (no stream); this leader heard from it just now.
    fixture.lastHeartbeats.put(1L, fixture.clock.wallMillis());
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);

    assertThat(fixture.run(procedure, persisted, 0)).isInstanceOf(Status.Done.class);

    long markedAt = fixture.received.stream()
        .filter(r -> r.instruction() instanceof Instruction.OpenRegion)
        .findFirst().orElseThrow().wallMillis();
    MigrationFixture.Received upgrade = fixture.received.stream()
        .filter(r -> r.instruction() instanceof Instruction.UpgradeRegion)
        .findFirst().orElseThrow();
    assertThat(upgrade.wallMillis())
        .as("upgrade only after the old leader's lease (10 s + 1 s margin) lapsed")
        .isGreaterThanOrEqualTo(markedAt + 11_000);
    assertThat(((Instruction.UpgradeRegion) upgrade.instruction()).lastEntryId()).isNull();
    assertThat(fixture.regionRoute().leaderPeer()).isEqualTo(DN2);
  }

  @Test
  void anOldLeaderSilentLongerThanALeaseIsNotWaitedFor() throws Exception {
    fixture.connect(2, MigrationFixture::obliging);
    fixture.lastHeartbeats.put(1L, fixture.clock.wallMillis() - 20_000);
    long started = fixture.clock.wallMillis();
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(60)), fixture.env);

    fixture.run(procedure, persisted, 0);

    assertThat(fixture.regionRoute().leaderPeer()).isEqualTo(DN2);
    assertThat(fixture.clock.wallMillis() - started)
        .as("only the downgrade retry intervals passed").isLessThan(2_000);
  }

  @Test
  void aFailedUpgradeRollsTheRouteBackOnlyAfterTheCandidatesLeaseLapsed() throws Exception {
    fixture.connect(1, MigrationFixture::obliging);
    fixture.connect(2, instruction -> instruction instanceof Instruction.UpgradeRegion
        ? new InstructionReply.UpgradeRegion(false, true, "replay failed")
        : MigrationFixture.obliging(instruction));
    fixture.detectors.remove(new DatanodeRegion(1, REGION));
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(30)), fixture.env);

    long[] downgradedUntil = new long[1];
    assertThatThrownBy(() -> {
      while (true) {
        fixture.run(procedure, persisted, 0);
      }
    }).isInstanceOf(MigrationException.class)
        .hasMessage("Region migration abort: Failed to upgrade the candidate region.");
    downgradedUntil[0] = fixture.clock.wallMillis();

    RegionRoute route = fixture.regionRoute();
    assertThat(route.leaderPeer()).isEqualTo(DN1);
    assertThat(route.leaderState()).isNull();
    long lastUpgrade = fixture.received.stream()
        .filter(r -> r.instruction() instanceof Instruction.UpgradeRegion)
        .mapToLong(MigrationFixture.Received::wallMillis).max().orElseThrow();
    assertThat(downgradedUntil[0]).isGreaterThanOrEqualTo(lastUpgrade + 11_000);
    assertThat(fixture.detectors.contains(new DatanodeRegion(1, REGION))).isTrue();
    assertThat(fixture.keeper.size()).isZero();

    procedure.rollback(MigrationFixture.context());
    assertThat(fixture.tracker.size()).isZero();
  }

  @Test
  void aMigrationResumedAfterTheRouteMovedOnlyClosesTheOldRegion() throws Exception {
    fixture.connect(1, MigrationFixture::obliging);
    fixture.connect(2, MigrationFixture::obliging);
    RegionMigrationProcedure first =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);
    fixture.run(first, persisted, 0);
    fixture.received.clear();

    RegionMigrationProcedure resumed = RegionMigrationProcedure.load(persisted.get(0),
        fixture.env);
    assertThat(fixture.run(resumed, new ArrayList<>(), 0)).isInstanceOf(Status.Done.class);

    assertThat(fixture.instructionsTo(2)).isEmpty();
    assertThat(fixture.instructionsTo(1)).containsExactly(Instruction.CloseRegion.class);
    assertThat(fixture.route().version()).as("no route write").isEqualTo(2);
  }

  @Test
  void aRegionAlreadyOnTheTargetOrLedByAnotherNodeEndsWithoutInstructions() throws Exception {
    RegionMigrationProcedure wrongSource = RegionMigrationProcedure.start(
        new PersistentContext("greptime", "public", new io.metasrv.metadata.Peer(3, ""), DN2,
            REGION, Duration.ofSeconds(10)), fixture.env);
    assertThat(wrongSource.execute(MigrationFixture.context()))
        .isInstanceOf(Status.Done.class);
    assertThat(wrongSource.state()).isInstanceOf(MigrationState.Abort.class);

    RegionMigrationProcedure done = RegionMigrationProcedure.start(
        new PersistentContext("greptime", "public", DN2, DN1, REGION, Duration.ofSeconds(10)),
        fixture.env);
    assertThat(done.execute(MigrationFixture.context())).isInstanceOf(Status.Done.class);
    assertThat(done.state()).isInstanceOf(MigrationState.End.class);
    assertThat(fixture.received).isEmpty();
    assertThat(fixture.tracker.size()).isZero();
  }

  @Test
  void aTargetWithoutAStreamIsWaitedForWithinTheBudgetThenTheRollbackLeavesTheRouteAsItWas()
      throws Exception {
    fixture.connect(1, MigrationFixture::obliging);
    byte[] before = fixture.kv.get(new TableRouteKey(TABLE_ID).toBytes()).orElseThrow().value();
    RegionMigrationProcedure procedure =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);
    procedure.execute(MigrationFixture.context());

    // A new leader is often asked before the target reconnected: retried while time is left.
    assertThatThrownBy(() -> procedure.execute(MigrationFixture.context()))
        .isInstanceOf(RetryLaterException.class).hasMessageContaining("no heartbeat stream");
    fixture.clock.advance(Duration.ofSeconds(11));
    assertThatThrownBy(() -> procedure.execute(MigrationFixture.context()))
        .isInstanceOf(MigrationException.class).hasMessageContaining("no heartbeat stream");
    procedure.rollback(MigrationFixture.context());

    assertThat(fixture.kv.get(new TableRouteKey(TABLE_ID).toBytes()).orElseThrow().value())
        .isEqualTo(before);
    assertThat(fixture.keeper.size()).isZero();
    assertThat(fixture.tracker.size()).isZero();
  }

  @Test
  void aSecondMigrationOfTheRegionIsRefusedWhileTheFirstRuns() throws Exception {
    fixture.connect(2, MigrationFixture::obliging);
    RegionMigrationProcedure first =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);
    first.execute(MigrationFixture.context());
    RegionMigrationProcedure second =
        RegionMigrationProcedure.start(fixture.context(Duration.ofSeconds(10)), fixture.env);

    assertThatThrownBy(() -> second.execute(MigrationFixture.context()))
        .hasMessage("Another migration procedure is running for region: "
            + io.metasrv.metadata.RegionId.display(REGION));
    second.rollback(MigrationFixture.context());
    assertThat(fixture.tracker.contains(REGION)).as("the first keeps it").isTrue();
  }

  private DatanodeTableValue datanodeTable(long datanodeId) {
    return DatanodeTableValue.decode(fixture.kv.get(
        new DatanodeTableKey(datanodeId, TABLE_ID).toBytes()).orElseThrow().value());
  }
}
