package io.metasrv.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.metasrv.ddl.DdlManager;
import io.metasrv.procedure.ProcedureException;
import io.metasrv.procedure.ProcedureInfo;
import io.metasrv.procedure.ProcedureState;
import io.metasrv.procedure.migration.MigrationRefusedException;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DdlTaskResponse;
import io.metasrv.protocol.MigrateRegionRequest;
import io.metasrv.protocol.MigrateRegionResponse;
import io.metasrv.protocol.ProcedureDetailRequest;
import io.metasrv.protocol.ProcedureDetailResponse;
import io.metasrv.protocol.ProcedureId;
import io.metasrv.protocol.ProcedureMeta;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.ProcedureStateResponse;
import io.metasrv.protocol.QueryProcedureRequest;
import io.metasrv.protocol.ResponseHeader;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.v1.TableId;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code greptime.v1.meta.ProcedureService} (and {@code Procedure}, its older name): a
 * procedure's state, the procedures the leader runs or finished lately, and region migration.
 * Followers answer NotLeader in the header, as GreptimeDB's do; successful answers leave the
 * header unset, as GreptimeDB's do. {@code ddl} answers when the task's procedure finished, with
 * the procedure id and, for CREATE TABLE, the table id; a refused or failed task is an error
 * status with its GreptimeDB code ({@link FailureStatus}), never an error in the header, which
 * GreptimeDB's clients would read as a response.
 */
final class ProcedureService extends ProcedureServiceGrpc.ProcedureServiceImplBase {
  private final GrpcBackend backend;

  ProcedureService(GrpcBackend backend) {
    this.backend = backend;
  }

  @Override
  public void query(QueryProcedureRequest request,
      StreamObserver<ProcedureStateResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, ProcedureStateResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    io.metasrv.procedure.ProcedureId id = procedureId(request.getPid());
    Optional<ProcedureState> state = backend.procedures().state(id);
    if (state.isEmpty()) {
      Unary.fail("query", responses, new ProcedureException(ProcedureException.Kind.NOT_FOUND,
          "Procedure not found, procedure_id: " + id));
      return;
    }
    ProcedureStateResponse.Builder response = ProcedureStateResponse.newBuilder()
        .setStatusValue(state.get().kind().protoNumber());
    state.get().error().ifPresent(response::setError);
    Unary.reply(responses, response.build());
  }

  @Override
  public void ddl(DdlTaskRequest request, StreamObserver<DdlTaskResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, DdlTaskResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    DdlManager ddl = backend.ddl().orElseThrow(() -> new UnsupportedOperationException(
        "DDL is not supported yet by this metasrv: it was started without a datanode region "
            + "client"));
    CompletableFuture<DdlManager.Result> result;
    try {
      result = ddl.submit(request);
    } catch (ProcedureException e) {
      Unary.fail("ddl", responses, e);
      return;
    }
    Unary.replyLater("ddl", responses, result, done -> {
      DdlTaskResponse.Builder response = DdlTaskResponse.newBuilder()
          .setPid(ProcedureId.newBuilder().setKey(ByteString.copyFromUtf8(done.pid().toString())));
      done.tableIds().forEach(
          id -> response.addTableIds(TableId.newBuilder().setId(id.intValue())));
      return response.build();
    });
  }

  @Override
  public void migrate(MigrateRegionRequest request,
      StreamObserver<MigrateRegionResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, MigrateRegionResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    Optional<io.metasrv.procedure.ProcedureId> started;
    try {
      started = backend.migrations().migrate(request.getRegionId(), request.getFromPeer(),
          request.getToPeer(), Duration.ofSeconds(Integer.toUnsignedLong(
              request.getTimeoutSecs())));
    } catch (MigrationRefusedException | ProcedureException e) {
      Unary.fail("migrate", responses, e);
      return;
    }
    MigrateRegionResponse.Builder response = MigrateRegionResponse.newBuilder();
    started.ifPresent(id -> response.setPid(ProcedureId.newBuilder()
        .setKey(ByteString.copyFromUtf8(id.toString()))));
    Unary.reply(responses, response.build());
  }

  @Override
  public void details(ProcedureDetailRequest request,
      StreamObserver<ProcedureDetailResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, ProcedureDetailResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    ProcedureDetailResponse.Builder response = ProcedureDetailResponse.newBuilder();
    for (ProcedureInfo info : backend.procedures().list()) {
      ProcedureMeta.Builder meta = ProcedureMeta.newBuilder()
          .setId(ProcedureId.newBuilder().setKey(ByteString.copyFromUtf8(info.id().toString())))
          .setTypeName(info.typeName())
          .setStatusValue(info.state().kind().protoNumber())
          .setStartTimeMs(info.startTimeMs())
          .setEndTimeMs(info.endTimeMs())
          .addAllLockKeys(info.lockKeys());
      info.state().error().ifPresent(meta::setError);
      response.addProcedures(meta);
    }
    Unary.reply(responses, response.build());
  }

  /** GreptimeDB's {@code pb_pid_to_pid}: the key is the UUID text in UTF-8. */
  private static io.metasrv.procedure.ProcedureId procedureId(ProcedureId pid) {
    String text = pid.getKey().toStringUtf8();
    try {
      return io.metasrv.procedure.ProcedureId.parse(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("invalid procedure id '" + text + "': " + e.getMessage());
    }
  }

  private static ResponseHeader notLeader() {
    return ResponseHeaders.notLeader();
  }

  private static void requireHeader(boolean present) {
    if (!present) {
      throw new InvalidRequestException("missing request header");
    }
  }
}
