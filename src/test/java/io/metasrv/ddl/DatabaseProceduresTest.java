package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.failure.DatanodeRegion;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.MemoryKv;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.region.RegionRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CREATE DATABASE and DROP DATABASE. */
class DatabaseProceduresTest {
  private DdlHarness h;

  @BeforeEach
  void open() {
    h = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), 2);
  }

  @AfterEach
  void close() {
    h.close();
  }

  private DdlManager.Result run(DdlTaskRequest request) throws Exception {
    return h.ddl.submit(request).get(30, TimeUnit.SECONDS);
  }

  @Test
  void createsASchemaWithItsTtlOnceAndRefusesASecondUnlessIfNotExists() throws Exception {
    run(DdlTasksFixture.createDatabase("metrics", false, "7days"));
    assertThat(h.metadata()).containsExactly(
        Map.entry("__schema_name/greptime/metrics", "{\"ttl\":\"7days\"}"));

    assertThatThrownBy(() -> run(DdlTasksFixture.createDatabase("metrics", false, null)))
        .cause().isInstanceOf(DdlException.class)
        .hasMessage("Schema `greptime.metrics` already exists")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4011);
    run(DdlTasksFixture.createDatabase("metrics", true, null));
    run(DdlTasksFixture.createDatabase("logs", false, null));

    assertThat(h.metadata()).containsExactly(
        Map.entry("__schema_name/greptime/logs", "{\"ttl\":null}"),
        Map.entry("__schema_name/greptime/metrics", "{\"ttl\":\"7days\"}"));
  }

  @Test
  void anInvalidTtlIsRefusedBeforeAnythingIsWritten() {
    assertThatThrownBy(() -> h.ddl.submit(DdlTasksFixture.createDatabase("m", false, "soon")))
        .isInstanceOf(DdlException.class).hasMessageContaining("ttl")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(1004);
    assertThat(h.metadata()).isEmpty();
  }

  @Test
  void dropsEveryTableWithItsRegionsThenTheSchema() throws Exception {
    run(DdlTasksFixture.createDatabase("metrics", false, null));
    for (String table : List.of("a", "b")) {
      run(DdlTasksFixture.request().setCreateTableTask(DdlTasksFixture.createTableTask(
          DdlTasksFixture.createTableExpr("metrics", table), "x", "y")).build());
    }
    run(DdlTasksFixture.createTable("kept"));
    Map<String, String> kept = Map.copyOf(h.metadata().entrySet().stream()
        .filter(e -> !e.getKey().contains("1024") && !e.getKey().contains("1025")
            && !e.getKey().contains("metrics"))
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    h.regions.received.clear();
    h.regions.failNext(RegionServerException.Kind.REGION_NOT_FOUND, 1);
    assertThat(h.detectors.size()).isEqualTo(5);

    run(DdlTasksFixture.dropDatabase("metrics", false));

    assertThat(h.metadata()).isEqualTo(kept);
    assertThat(h.detectors.size()).isOne();
    assertThat(h.detectors.contains(new DatanodeRegion(1, 4406636445696L))).isTrue();
    List<RegionRequest> drops = h.regions.requests(RegionRequest.BodyCase.DROP);
    assertThat(drops).extracting(r -> r.getDrop().getRegionId()).containsExactlyInAnyOrder(
        4398046511104L, 4398046511105L, 4402341478400L, 4402341478401L);
    assertThat(drops).allMatch(r -> r.getDrop().getFastPath());
    assertThat(h.invalidations.get(h.invalidations.size() - 1))
        .containsExactly(new CacheIdent.SchemaName("greptime", "metrics"));
    assertThat(h.invalidations).contains(List.of(
        new CacheIdent.TableName("greptime", "metrics", "a"), new CacheIdent.TableId(1024)));

    assertThatThrownBy(() -> run(DdlTasksFixture.dropDatabase("metrics", false)))
        .cause().isInstanceOf(DdlException.class)
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(4004);
    run(DdlTasksFixture.dropDatabase("metrics", true));
  }
}
