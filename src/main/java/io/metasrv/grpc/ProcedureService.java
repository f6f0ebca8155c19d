package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DdlTaskResponse;
import io.metasrv.protocol.MigrateRegionRequest;
import io.metasrv.protocol.MigrateRegionResponse;
import io.metasrv.protocol.ProcedureDetailRequest;
import io.metasrv.protocol.ProcedureDetailResponse;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.ProcedureStateResponse;
import io.metasrv.protocol.QueryProcedureRequest;
import io.metasrv.protocol.ResponseHeader;
import io.metasrv.protocol.ResponseHeaders;

/**
 * {@code greptime.v1.meta.ProcedureService} (and {@code Procedure}, its older name). Followers
 * answer NotLeader in the header, as GreptimeDB's do. On the leader every method fails with
 * UNIMPLEMENTED (GreptimeDB's {@code Unsupported}, 1001) until the procedure framework lands:
 * GreptimeDB's clients pass a non-NotLeader error status to the caller as it is, whereas an
 * error in the header would be read as a response.
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
    throw notSupportedYet("querying a procedure's state");
  }

  @Override
  public void ddl(DdlTaskRequest request, StreamObserver<DdlTaskResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, DdlTaskResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    throw notSupportedYet("DDL task " + request.getTaskCase().name().toLowerCase());
  }

  @Override
  public void migrate(MigrateRegionRequest request,
      StreamObserver<MigrateRegionResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, MigrateRegionResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    throw notSupportedYet("region migration");
  }

  @Override
  public void details(ProcedureDetailRequest request,
      StreamObserver<ProcedureDetailResponse> responses) {
    if (!backend.isLeader()) {
      Unary.reply(responses, ProcedureDetailResponse.newBuilder().setHeader(notLeader()).build());
      return;
    }
    requireHeader(request.hasHeader());
    throw notSupportedYet("listing procedures");
  }

  private static ResponseHeader notLeader() {
    return ResponseHeaders.notLeader();
  }

  private static void requireHeader(boolean present) {
    if (!present) {
      throw new InvalidRequestException("missing request header");
    }
  }

  private static UnsupportedOperationException notSupportedYet(String what) {
    return new UnsupportedOperationException(what + " is not supported yet: this metasrv has no"
        + " procedure framework");
  }
}
