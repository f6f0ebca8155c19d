package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.MemoryKv;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.AlterDatabaseTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.v1.AlterDatabaseExpr;
import io.metasrv.protocol.v1.Option;
import io.metasrv.protocol.v1.SetDatabaseOptions;
import io.metasrv.protocol.v1.UnsetDatabaseOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ALTER DATABASE: the schema value after, refusals, the stored data, a resumed alteration. */
class AlterDatabaseProcedureTest {
  private static final String KEY = "__schema_name/greptime/metrics";

  private DdlHarness h;

  @BeforeEach
  void createDatabase() throws Exception {
    h = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), 1);
    run(DdlTasksFixture.createDatabase("metrics", false, null));
  }

  @AfterEach
  void close() {
    h.close();
  }

  private void run(DdlTaskRequest request) throws Exception {
    h.ddl.submit(request).get(30, TimeUnit.SECONDS);
  }

  private static AlterDatabaseExpr.Builder database(String schema) {
    return AlterDatabaseExpr.newBuilder().setCatalogName("greptime").setSchemaName(schema);
  }

  private static DdlTaskRequest alter(AlterDatabaseExpr.Builder expr) {
    return DdlTasksFixture.request().setAlterDatabaseTask(AlterDatabaseTask.newBuilder()
        .setTask(expr)).build();
  }

  private static DdlTaskRequest setTtl(String schema, String key, String ttl) {
    return alter(database(schema).setSetDatabaseOptions(SetDatabaseOptions.newBuilder()
        .addSetDatabaseOptions(Option.newBuilder().setKey(key).setValue(ttl))));
  }

  private static DdlTaskRequest unset(String schema, String key) {
    return alter(database(schema).setUnsetDatabaseOptions(UnsetDatabaseOptions.newBuilder()
        .addKeys(key)));
  }

  @Test
  void setsAndUnsetsTheTtlAndInvalidatesTheSchemaCache() throws Exception {
    run(setTtl("metrics", "TTL", "7days"));
    assertThat(h.metadata()).containsEntry(KEY, "{\"ttl\":\"7days\"}");
    assertThat(h.invalidations).containsExactly(
        List.of(new CacheIdent.SchemaName("greptime", "metrics")));

    run(setTtl("metrics", "ttl", "0s"));
    assertThat(h.metadata()).containsEntry(KEY, "{\"ttl\":\"forever\"}");

    run(unset("metrics", "ttl"));
    assertThat(h.metadata()).containsEntry(KEY, "{\"ttl\":null}");
    assertThat(h.invalidations).hasSize(3);
  }

  @Test
  void refusalsAreInvalidArgumentsAndWriteNothing() {
    Map<String, String> before = h.metadata();
    assertThatThrownBy(() -> h.ddl.submit(setTtl("metrics", "ttl", "instant")))
        .isInstanceOf(DdlException.class)
        .hasMessage("Invalid set database option, key: ttl, value: instant")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(1004);
    assertThatThrownBy(() -> h.ddl.submit(setTtl("metrics", "compaction.type", "twcs")))
        .isInstanceOf(DdlException.class)
        .hasMessage("Invalid set database option, key: compaction.type, value: twcs");
    assertThatThrownBy(() -> h.ddl.submit(unset("metrics", "append_mode")))
        .isInstanceOf(DdlException.class)
        .hasMessage("Invalid unset database option, key: append_mode");
    assertThatThrownBy(() -> h.ddl.submit(alter(database("metrics"))))
        .isInstanceOf(DdlException.class)
        .hasMessage("Missing required parameter, param: kind");
    assertThatThrownBy(() -> h.ddl.submit(DdlTasksFixture.request()
        .setAlterDatabaseTask(AlterDatabaseTask.getDefaultInstance()).build()))
        .isInstanceOf(DdlException.class)
        .hasMessage("Invalid protobuf message: expected alter database");
    assertThatThrownBy(() -> run(setTtl("nowhere", "ttl", "1d"))).cause()
        .isInstanceOf(DdlException.class).hasMessage("Schema not found, schema: nowhere")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(1004);
    assertThat(h.metadata()).isEqualTo(before);
    assertThat(h.invalidations).isEmpty();
  }

  /** Stopped after its transaction: the next leader finds the new value and only invalidates. */
  @Test
  void anAlterationResumedFromItsStoredDataWritesOnce() throws Exception {
    AlterDatabaseProcedure first = AlterDatabaseProcedure.start(h.context,
        setTtl("metrics", "ttl", "1d").getAlterDatabaseTask().getTask());
    first.step(null);
    String stored = first.dump();
    assertThat(stored).isEqualTo("{\"state\":\"UpdateMetadata\",\"kind\":{\"SetDatabaseOptions\":"
        + "[{\"Ttl\":\"1d\"}]},\"catalog_name\":\"greptime\",\"schema_name\":\"metrics\","
        + "\"schema_value\":\"{\\\"ttl\\\":null}\"}");
    first.step(null);
    Map<String, String> altered = h.metadata();
    assertThat(altered).containsEntry(KEY, "{\"ttl\":\"1d\"}");

    AlterDatabaseProcedure resumed = AlterDatabaseProcedure.load(h.context, stored);
    assertThat(resumed.step(null)).isInstanceOf(Status.Executing.class);
    assertThat(resumed.step(null)).isInstanceOf(Status.Done.class);
    assertThat(h.metadata()).isEqualTo(altered);
    assertThat(AlterDatabaseProcedure.load(h.context, unsetDump()).dump()).isEqualTo(unsetDump());
  }

  private String unsetDump() {
    return AlterDatabaseProcedure.start(h.context,
        unset("metrics", "TTL").getAlterDatabaseTask().getTask()).dump();
  }
}
