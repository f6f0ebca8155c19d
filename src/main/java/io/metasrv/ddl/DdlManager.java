package io.metasrv.ddl;

import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.procedure.ProcedureException;
import io.metasrv.procedure.ProcedureId;
import io.metasrv.procedure.ProcedureManager;
import io.metasrv.procedure.ProcedureState;
import io.metasrv.procedure.ProcedureStateKind;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.CreateTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DropTableTask;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.CreateDatabaseExpr;
import io.metasrv.protocol.v1.DropDatabaseExpr;
import io.metasrv.protocol.v1.DropTableExpr;
import io.metasrv.protocol.v1.TruncateTableExpr;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs GreptimeDB's DDL tasks, its {@code DdlManager}: checks a task, submits its procedure and
 * completes when the procedure finished (the {@code ddl} RPC waits, as GreptimeDB's does). Built
 * for one {@link ProcedureManager}, whose loaders it registers so that a new leader resumes the
 * DDL procedures of the old one.
 *
 * <p>Supported: CreateTable, DropTable, TruncateTable, AlterTable (every kind), CreateDatabase,
 * DropDatabase, AlterDatabase, and the metric engine's logical tables: CreateTableTasks,
 * AlterTableTasks (add columns), DropTableTasks (one DropTable procedure per table). Every other
 * task is refused with Unsupported (1001) before anything is written.
 *
 * <p>Metrics: {@code metasrv.ddl{kind,result}}, a timer per task kind ({@code create_table_task},
 * ...) and result ({@code ok}, {@code error}): its count, and the time from submission to the
 * procedure's end.
 */
public final class DdlManager {
  private final ProcedureManager procedures;
  private final DdlContext context;
  private final MeterRegistry registry;

  /** What a finished task answers: the procedure's id and, for a create, the table ids. */
  public record Result(ProcedureId pid, List<Long> tableIds) {}

  public DdlManager(ProcedureManager procedures, DdlContext context, MeterRegistry registry) {
    this.procedures = procedures;
    this.context = context;
    this.registry = registry;
    procedures.registerLoader(CreateTableProcedure.TYPE_NAME,
        data -> CreateTableProcedure.load(context, data));
    procedures.registerLoader(DropTableProcedure.TYPE_NAME,
        data -> DropTableProcedure.load(context, data));
    procedures.registerLoader(TruncateTableProcedure.TYPE_NAME,
        data -> TruncateTableProcedure.load(context, data));
    procedures.registerLoader(AlterTableProcedure.TYPE_NAME,
        data -> AlterTableProcedure.load(context, data));
    procedures.registerLoader(AlterDatabaseProcedure.TYPE_NAME,
        data -> AlterDatabaseProcedure.load(context, data));
    procedures.registerLoader(CreateDatabaseProcedure.TYPE_NAME,
        data -> CreateDatabaseProcedure.load(context, data));
    procedures.registerLoader(DropDatabaseProcedure.TYPE_NAME,
        data -> DropDatabaseProcedure.load(context, data));
    procedures.registerLoader(CreateLogicalTablesProcedure.TYPE_NAME,
        data -> CreateLogicalTablesProcedure.load(context, data));
    procedures.registerLoader(AlterLogicalTablesProcedure.TYPE_NAME,
        data -> AlterLogicalTablesProcedure.load(context, data));
  }

  /**
   * Checks the task, submits its procedure and completes when it finished.
   *
   * @throws DdlException when the task is refused (nothing was submitted)
   * @throws ProcedureException when the procedure manager refuses it (not leading, paused, too
   *     many procedures)
   * @return completes with the result, or fails with a {@link DdlException} whose status code is
   *     that of the failure that ended the procedure
   */
  public CompletableFuture<Result> submit(DdlTaskRequest request) throws ProcedureException {
    DdlTasks.checkRequest(request);
    String kind = DdlTasks.kind(request);
    if (request.getTaskCase() == DdlTaskRequest.TaskCase.DROP_TABLE_TASKS) {
      return dropLogicalTables(request.getDropTableTasks().getTasksList(), kind);
    }
    DdlProcedure procedure = procedureOf(request);
    long started = System.nanoTime();
    ProcedureId id = procedures.submit(procedure);
    return procedures.whenFinished(id).thenApply(state -> {
      // a procedure that failed without a rollback (its retries used up) still holds its regions
      procedure.releaseRegions();
      boolean done = state.kind() == ProcedureStateKind.Done;
      record(kind, done, started);
      if (!done) {
        throw failure(procedure, state);
      }
      return new Result(id, tableIds(procedure, state));
    });
  }

  private void record(String kind, boolean done, long started) {
    Timer.builder("metasrv.ddl")
        .description("DDL tasks this node ran, by kind and result")
        .tags("kind", kind, "result", done ? "ok" : "error")
        .register(registry)
        .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
  }

  /** A create's table ids, from its output: one id, or a JSON list of ids for logical tables. */
  private static List<Long> tableIds(DdlProcedure procedure, ProcedureState state) {
    if (procedure instanceof CreateTableProcedure) {
      return List.of(Long.parseLong(state.output().orElseThrow()));
    }
    if (procedure instanceof CreateLogicalTablesProcedure) {
      List<Long> ids = new ArrayList<>();
      SerdeJson.readTree(state.output().orElseThrow().getBytes(StandardCharsets.UTF_8),
          "CreateLogicalTables output").forEach(id -> ids.add(id.asLong()));
      return ids;
    }
    return List.of();
  }

  /**
   * DropTableTasks. GreptimeDB's DdlManager never implemented it ({@code todo!()}, still so in
   * its newest code), and its frontend drops a logical table with a DropTableTask. Here each task
   * runs as its own DropTable procedure, as a DropTableTask would (a logical table's drop
   * removes its keys and drops its regions on the physical table's datanodes; the physical
   * regions stay): all are checked first, then submitted together, and the answer comes when
   * all finished, with the last submitted procedure's id, or the first failure. Each is durable
   * on its own: a new leader finishes those it finds, a drop not yet submitted is not (nor is
   * one the procedure manager refused after earlier ones were submitted: those run on).
   *
   * @throws DdlException no tasks, a task without its table id, or a table whose route is a
   *     physical one (these tasks drop logical tables only)
   */
  private CompletableFuture<Result> dropLogicalTables(List<DropTableTask> tasks, String kind)
      throws ProcedureException {
    if (tasks.isEmpty()) {
      throw DdlException.invalidArguments("The tasks of drop logical tables cannot be empty");
    }
    List<DropTableProcedure> drops = new ArrayList<>();
    for (DropTableTask task : tasks) {
      DropTableExpr expr = task.getDropTable();
      DdlTasks.checkTable(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName(),
          expr.hasTableId());
      long tableId = Integer.toUnsignedLong(expr.getTableId().getId());
      boolean physical = context.kv().get(new TableRouteKey(tableId).toBytes())
          .map(stored -> TableRouteValue.decode(stored.value()))
          .filter(route -> route instanceof PhysicalTableRouteValue).isPresent();
      if (physical) {
        throw DdlException.invalidArguments("Table " + expr.getTableName() + " (id " + tableId
            + ") is not a logical table; drop it with a DropTableTask");
      }
      drops.add(DropTableProcedure.start(context, new DropTableProcedure.Task(
          expr.getCatalogName(), expr.getSchemaName(), expr.getTableName(), tableId,
          expr.getDropIfExists())));
    }
    long started = System.nanoTime();
    List<CompletableFuture<Result>> answers = new ArrayList<>();
    for (DropTableProcedure drop : drops) {
      ProcedureId id = procedures.submit(drop);
      answers.add(procedures.whenFinished(id).thenApply(state -> {
        if (state.kind() != ProcedureStateKind.Done) {
          throw failure(drop, state);
        }
        return new Result(id, List.of());
      }));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .handle((ignored, error) -> {
          record(kind, error == null, started);
          if (error != null) {
            throw error instanceof CompletionException completion ? completion
                : new CompletionException(error);
          }
          return answers.get(answers.size() - 1).join();
        });
  }

  private DdlProcedure procedureOf(DdlTaskRequest request) {
    return switch (request.getTaskCase()) {
      case CREATE_TABLE_TASK -> {
        DdlTasks.checkCreateTable(request.getCreateTableTask());
        yield CreateTableProcedure.start(context, request.getCreateTableTask());
      }
      case DROP_TABLE_TASK -> {
        DropTableExpr expr = request.getDropTableTask().getDropTable();
        DdlTasks.checkTable(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName(),
            expr.hasTableId());
        yield DropTableProcedure.start(context, new DropTableProcedure.Task(
            expr.getCatalogName(), expr.getSchemaName(), expr.getTableName(),
            Integer.toUnsignedLong(expr.getTableId().getId()), expr.getDropIfExists()));
      }
      case TRUNCATE_TABLE_TASK -> {
        TruncateTableExpr expr = request.getTruncateTableTask().getTruncateTable();
        DdlTasks.checkTable(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName(),
            expr.hasTableId());
        yield new TruncateTableProcedure(context, TruncateTableProcedure.State.Prepare,
            new TableNameKey(expr.getCatalogName(), expr.getSchemaName(), expr.getTableName()),
            Integer.toUnsignedLong(expr.getTableId().getId()), List.of());
      }
      case ALTER_TABLE_TASK -> {
        AlterTableExpr expr = request.getAlterTableTask().getAlterTable();
        DdlTasks.checkAlterTable(expr);
        yield AlterTableProcedure.start(context, expr);
      }
      case ALTER_DATABASE_TASK -> {
        DdlTasks.checkAlterDatabase(request.getAlterDatabaseTask());
        yield AlterDatabaseProcedure.start(context, request.getAlterDatabaseTask().getTask());
      }
      case CREATE_DATABASE_TASK -> {
        CreateDatabaseExpr expr = request.getCreateDatabaseTask().getCreateDatabase();
        DdlTasks.checkNames(expr.getCatalogName(), expr.getSchemaName());
        CreateDatabaseProcedure.schemaValue(expr.getOptionsMap());
        yield new CreateDatabaseProcedure(context, CreateDatabaseProcedure.State.Prepare,
            expr.getCatalogName(), expr.getSchemaName(), expr.getCreateIfNotExists(),
            expr.getOptionsMap());
      }
      case DROP_DATABASE_TASK -> {
        DropDatabaseExpr expr = request.getDropDatabaseTask().getDropDatabase();
        DdlTasks.checkNames(expr.getCatalogName(), expr.getSchemaName());
        yield new DropDatabaseProcedure(context, DropDatabaseProcedure.State.DropDatabaseStart,
            expr.getCatalogName(), expr.getSchemaName(), expr.getDropIfExists());
      }
      case CREATE_TABLE_TASKS -> {
        List<CreateTableTask> tasks = request.getCreateTableTasks().getTasksList();
        TableNameKey physical = DdlTasks.checkCreateLogicalTables(tasks);
        yield CreateLogicalTablesProcedure.start(context, tasks, tableIdOf(physical));
      }
      case ALTER_TABLE_TASKS -> {
        List<AlterTableTask> tasks = request.getAlterTableTasks().getTasksList();
        DdlTasks.checkAlterLogicalTables(tasks);
        AlterTableExpr first = tasks.get(0).getAlterTable();
        yield AlterLogicalTablesProcedure.start(context, tasks, physicalTableIdOf(
            tableIdOf(new TableNameKey(first.getCatalogName(), first.getSchemaName(),
                first.getTableName()))));
      }
      default -> throw DdlException.unsupported("DDL task " + DdlTasks.kind(request)
          + " is not supported yet by this metasrv");
    };
  }

  private long tableIdOf(TableNameKey name) {
    return context.kv().get(name.toBytes())
        .map(stored -> TableNameValue.decode(stored.value()).tableId())
        .orElseThrow(() -> DdlException.tableNotFound(name.catalog(), name.schema(),
            name.table()));
  }

  /** GreptimeDB's {@code get_physical_table_id}: a logical table's physical table, else itself. */
  private long physicalTableIdOf(long tableId) {
    TableRouteValue route = context.kv().get(new TableRouteKey(tableId).toBytes())
        .map(stored -> TableRouteValue.decode(stored.value()))
        .orElseThrow(() -> new DdlException(DdlException.TABLE_NOT_FOUND,
            "Failed to find table route for table id " + tableId));
    return route instanceof LogicalTableRouteValue logical ? logical.physicalTableId() : tableId;
  }

  /** The error a failed procedure answers with: its own failure's code, else Internal. */
  private static DdlException failure(DdlProcedure procedure, ProcedureState state) {
    String error = state.error().orElse("procedure failed");
    if (procedure.failure().orElse(null) instanceof DdlException refused) {
      return refused;
    }
    return new DdlException(DdlException.INTERNAL, error);
  }
}
