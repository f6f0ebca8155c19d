package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.v1.AddColumns;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.RenameTable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ALTER TABLE RENAME TO: the name keys and table info after, refusals, a resumed rename. */
class AlterTableProcedureTest {
  private DdlHarness harness;

  @BeforeEach
  void createTable() throws Exception {
    harness = new DdlHarness(new MemoryKv(), new RecordingRegionServer(), 1);
    harness.ddl.submit(DdlTasksFixture.createTable("t")).get(30, TimeUnit.SECONDS);
    harness.regions.received.clear();
  }

  @AfterEach
  void close() {
    harness.close();
  }

  private static DdlTaskRequest alter(AlterTableExpr.Builder expr) {
    return DdlTasksFixture.request().setAlterTableTask(AlterTableTask.newBuilder()
        .setAlterTable(expr.setCatalogName("greptime").setSchemaName("public"))).build();
  }

  private static DdlTaskRequest rename(String table, String newName) {
    return alter(AlterTableExpr.newBuilder().setTableName(table)
        .setRenameTable(RenameTable.newBuilder().setNewTableName(newName)));
  }

  @Test
  void renameMovesTheNameKeyBumpsTheOuterVersionAndInvalidatesBothCaches() throws Exception {
    Map<String, String> before = harness.metadata();
    String info = before.get("__table_info/1024");

    harness.ddl.submit(rename("t", "u")).get(30, TimeUnit.SECONDS);

    Map<String, String> after = harness.metadata();
    assertThat(after).doesNotContainKey("__table_name/greptime/public/t")
        .containsEntry("__table_name/greptime/public/u", "{\"table_id\":1024}");
    // rename_table's with_update: the name and the outer version change, ident.version does not
    assertThat(after.get("__table_info/1024")).isEqualTo(info
        .replace("\"name\":\"t\"", "\"name\":\"u\"")
        .replaceFirst("\"version\":0}$", "\"version\":1}"));
    assertThat(harness.regions.received).isEmpty();
    assertThat(harness.invalidations).containsExactly(List.of(new CacheIdent.TableId(1024),
        new CacheIdent.TableName("greptime", "public", "t")));
  }

  @Test
  void refusalsNameTheReasonAndWriteNothing() {
    Map<String, String> before = harness.metadata();
    assertThatThrownBy(() -> harness.ddl.submit(rename("missing", "u")).get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .hasMessage("Table not found: `greptime.public.missing`")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(DdlException.TABLE_NOT_FOUND);
    assertThatThrownBy(() -> harness.ddl.submit(rename("t", "t")))
        .isInstanceOf(DdlException.class).hasMessageContaining("its own name");
    assertThatThrownBy(() -> harness.ddl.submit(alter(AlterTableExpr.newBuilder()
        .setTableName("t").setAddColumns(AddColumns.getDefaultInstance()))))
        .isInstanceOf(DdlException.class)
        .hasMessage("ALTER TABLE kind add_columns is not supported yet by this metasrv")
        .extracting(e -> ((DdlException) e).statusCode()).isEqualTo(DdlException.UNSUPPORTED);
    assertThat(harness.metadata()).isEqualTo(before);
  }

  @Test
  void aRenameToATakenNameIsRefused() throws Exception {
    harness.ddl.submit(DdlTasksFixture.createTable("u")).get(30, TimeUnit.SECONDS);
    Map<String, String> before = harness.metadata();
    assertThatThrownBy(() -> harness.ddl.submit(rename("t", "u")).get(30, TimeUnit.SECONDS))
        .cause().extracting(e -> ((DdlException) e).statusCode())
        .isEqualTo(DdlException.TABLE_ALREADY_EXISTS);
    assertThat(harness.metadata()).isEqualTo(before);
  }

  /** A leader stopped after the transaction, before invalidating: the next one finishes once. */
  @Test
  void aRenameResumedAfterItsTransactionFinishesWithoutWritingAgain() throws Exception {
    DdlContext context = harness.context;
    AlterTableProcedure first = new AlterTableProcedure(context,
        AlterTableProcedure.State.Prepare, new TableNameKey("greptime",
            "public", "t"), "u", 0, "");
    first.step(null);
    String stoppedBeforeUpdate = first.dump();
    first.step(null);
    Map<String, String> renamed = harness.metadata();

    AlterTableProcedure resumed = AlterTableProcedure.load(context, stoppedBeforeUpdate);
    assertThat(resumed.step(null)).isInstanceOf(Status.Executing.class);
    assertThat(resumed.step(null)).isInstanceOf(Status.Done.class);
    assertThat(harness.metadata()).isEqualTo(renamed);
    assertThat(harness.invalidations).hasSize(1);
  }
}
