package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import io.metasrv.kv.Bytes;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.SerdeJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A DDL procedure loaded by a new leader holds its regions in the region keeper as soon as it is
 * recovered, before its state runs again, as GreptimeDB's {@code recover}: otherwise the new
 * leader denies the leases of regions a create made before no route names them, and the
 * datanodes close them.
 */
class DdlRecoverHoldsRegionsTest {
  private final DdlHarness harness = new DdlHarness(new MemoryKv(), new RecordingRegionServer(),
      1);

  @AfterEach
  void close() {
    harness.close();
  }

  @Test
  void aRecoveredCreateHoldsItsRegionsOnceItsRouteIsAllocated() throws Exception {
    CreateTableProcedure created = CreateTableProcedure.start(harness.context,
        DdlTasksFixture.createTable("t").getCreateTableTask());
    // in Prepare nothing is allocated: nothing to hold
    CreateTableProcedure.load(harness.context, created.dump()).recover();
    assertThat(harness.keeper.contains(1, RegionId.of(1024, 0))).isFalse();

    created.execute(null);
    // Prepare sent the Creates and holds the regions; its leader is gone
    created.releaseRegions();
    long regionId = SerdeJson.readTree(Bytes.utf8(created.dump()), "CreateTable data")
        .path("table_route").path("region_routes").get(0).path("region").path("id").asLong();
    CreateTableProcedure loaded = CreateTableProcedure.load(harness.context, created.dump());
    loaded.recover();
    assertThat(harness.keeper.contains(1, regionId)).isTrue();

    loaded.releaseRegions();
    assertThat(harness.keeper.contains(1, regionId)).isFalse();
  }
}
