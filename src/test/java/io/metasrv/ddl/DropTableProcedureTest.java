package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.failure.DatanodeRegion;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.MemoryKv;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.region.RegionRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DROP TABLE: tombstones, region drops, invalidation, and the restore of a failed drop. */
class DropTableProcedureTest {
  private DdlHarness harness;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private static DdlManager.Result run(DdlHarness harness, DdlTaskRequest request)
      throws Exception {
    return harness.ddl.submit(request).get(30, TimeUnit.SECONDS);
  }

  /** A table with 5 partitions over 5 datanodes: 3 + 5 keys, more than max_txn_ops / 2. */
  private DdlHarness withTable(KvLimits limits) throws Exception {
    harness = new DdlHarness(new MemoryKv(limits), new RecordingRegionServer(), 5);
    run(harness, DdlTaskRequest.newBuilder(DdlTasksFixture.createTable("t"))
        .setCreateTableTask(DdlTasksFixture.createTableTask(
            DdlTasksFixture.createTableExpr("public", "t"), "a", "b", "c", "d", "e")).build());
    harness.regions.received.clear();
    return harness;
  }

  @Test
  void dropsRegionsInvalidatesCachesAndLeavesNoKeyNorTombstone() throws Exception {
    DdlHarness h = withTable(new KvLimits(8, 64 * 1024));
    h.regions.failNext(RegionServerException.Kind.REGION_NOT_FOUND, 1);

    assertThat(run(h, DdlTasksFixture.dropTable("public", "t", 1024)).tableIds()).isEmpty();

    assertThat(h.metadata()).isEmpty();
    List<RegionRequest> drops = h.regions.requests(RegionRequest.BodyCase.DROP);
    assertThat(drops).extracting(r -> r.getDrop().getRegionId()).containsExactlyInAnyOrder(
        4398046511104L, 4398046511105L, 4398046511106L, 4398046511107L, 4398046511108L);
    assertThat(drops).allMatch(r -> !r.getDrop().getFastPath() && r.hasHeader());
    assertThat(h.invalidations).containsExactly(List.of(
        new CacheIdent.TableName("greptime", "public", "t"), new CacheIdent.TableId(1024)));
    assertThat(h.keeper.size()).isZero();
  }

  @Test
  void theFailureDetectorsWatchACreatedTablesLeaderRegionsUntilItsDropSucceeds()
      throws Exception {
    DdlHarness h = withTable(new KvLimits(8, 64 * 1024));
    List<DatanodeRegion> leaders = List.of(new DatanodeRegion(1, 4398046511104L),
        new DatanodeRegion(2, 4398046511105L), new DatanodeRegion(3, 4398046511106L),
        new DatanodeRegion(4, 4398046511107L), new DatanodeRegion(5, 4398046511108L));
    assertThat(leaders).allMatch(h.detectors::contains);
    assertThat(h.detectors.size()).isEqualTo(5);

    h.regions.failNext(RegionServerException.Kind.FAILED, 1);
    assertThatThrownBy(() -> run(h, DdlTasksFixture.dropTable("public", "t", 1024)))
        .isInstanceOf(ExecutionException.class);
    assertThat(leaders).allMatch(h.detectors::contains);

    run(h, DdlTasksFixture.dropTable("public", "t", 1024));
    assertThat(h.detectors.size()).isZero();
  }

  @Test
  void aFailedRegionDropRestoresEveryKeyFromItsOwnTombstone() throws Exception {
    DdlHarness h = withTable(new KvLimits(8, 64 * 1024));
    Map<String, String> before = h.metadata();
    h.regions.failNext(RegionServerException.Kind.FAILED, 1);

    assertThatThrownBy(() -> run(h, DdlTasksFixture.dropTable("public", "t", 1024)))
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(DdlException.class)
        .hasMessageContaining("told to fail");

    assertThat(h.metadata()).isEqualTo(before);
    assertThat(h.keeper.size()).isZero();
  }

  @Test
  void truncateSendsOneTruncatePerRegionAndChangesNoMetadata() throws Exception {
    DdlHarness h = withTable(new KvLimits(8, 64 * 1024));
    Map<String, String> before = h.metadata();

    assertThat(run(h, truncate(1024)).tableIds()).isEmpty();

    assertThat(h.regions.requests(RegionRequest.BodyCase.TRUNCATE))
        .extracting(r -> r.getTruncate().getRegionId()).containsExactlyInAnyOrder(
            4398046511104L, 4398046511105L, 4398046511106L, 4398046511107L, 4398046511108L);
    assertThat(h.metadata()).isEqualTo(before);
    assertThat(h.invalidations).isEmpty();
    assertThatThrownBy(() -> run(h, truncate(1025))).cause().isInstanceOf(DdlException.class)
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4001);
  }

  private static DdlTaskRequest truncate(long tableId) {
    return DdlTasksFixture.request().setTruncateTableTask(
        io.metasrv.protocol.TruncateTableTask.newBuilder().setTruncateTable(
            io.metasrv.protocol.v1.TruncateTableExpr.newBuilder().setCatalogName("greptime")
                .setSchemaName("public").setTableName("t")
                .setTableId(io.metasrv.protocol.v1.TableId.newBuilder().setId((int) tableId))))
        .build();
  }

  @Test
  void aMissingTableIsAnErrorUnlessDropIfExists() throws Exception {
    harness = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), 1);
    assertThatThrownBy(() -> run(harness, DdlTasksFixture.dropTable("public", "t", 1024)))
        .cause().isInstanceOf(DdlException.class)
        .hasMessage("Table not found: `greptime.public.t`")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4001);

    DdlTaskRequest ifExists = DdlTaskRequest.newBuilder(
        DdlTasksFixture.dropTable("public", "t", 1024)).setDropTableTask(
        io.metasrv.protocol.DropTableTask.newBuilder().setDropTable(DdlTasksFixture
            .dropTable("public", "t", 1024).getDropTableTask().getDropTable().toBuilder()
            .setDropIfExists(true))).build();
    assertThat(run(harness, ifExists).tableIds()).isEmpty();
    assertThat(harness.regions.received).isEmpty();
  }
}
