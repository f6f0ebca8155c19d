package io.metasrv.ddl;

import io.metasrv.metadata.TableNameKey;
import io.metasrv.procedure.ProcedureException;
import io.metasrv.procedure.ProcedureId;
import io.metasrv.procedure.ProcedureManager;
import io.metasrv.procedure.ProcedureState;
import io.metasrv.procedure.ProcedureStateKind;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.CreateDatabaseExpr;
import io.metasrv.protocol.v1.DropDatabaseExpr;
import io.metasrv.protocol.v1.DropTableExpr;
import io.metasrv.protocol.v1.TruncateTableExpr;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs GreptimeDB's DDL tasks, its {@code DdlManager}: checks a task, submits its procedure and
 * completes when the procedure finished (the {@code ddl} RPC waits, as GreptimeDB's does). Built
 * for one {@link ProcedureManager}, whose loaders it registers so that a new leader resumes the
 * DDL procedures of the old one.
 *
 * <p>Supported: CreateTable, DropTable, TruncateTable, AlterTable (every kind), CreateDatabase,
 * DropDatabase, AlterDatabase. Every other task is refused with Unsupported (1001) before
 * anything is written.
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
    DdlProcedure procedure = procedureOf(request);
    long started = System.nanoTime();
    ProcedureId id = procedures.submit(procedure);
    return procedures.whenFinished(id).thenApply(state -> {
      // a procedure that failed without a rollback (its retries used up) still holds its regions
      procedure.releaseRegions();
      boolean done = state.kind() == ProcedureStateKind.Done;
      Timer.builder("metasrv.ddl")
          .description("DDL tasks this node ran, by kind and result")
          .tags("kind", kind, "result", done ? "ok" : "error")
          .register(registry)
          .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      if (!done) {
        throw failure(procedure, state);
      }
      List<Long> tableIds = procedure instanceof CreateTableProcedure
          ? List.of(Long.parseLong(state.output().orElseThrow())) : List.of();
      return new Result(id, tableIds);
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
      default -> throw DdlException.unsupported("DDL task " + DdlTasks.kind(request)
          + " is not supported yet by this metasrv");
    };
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
