package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import io.metasrv.grpc.proto.BatchDeleteRequest;
import io.metasrv.grpc.proto.BatchDeleteResponse;
import io.metasrv.grpc.proto.BatchGetRequest;
import io.metasrv.grpc.proto.BatchGetResponse;
import io.metasrv.grpc.proto.BatchPutRequest;
import io.metasrv.grpc.proto.BatchPutResponse;
import io.metasrv.grpc.proto.CompareAndPutRequest;
import io.metasrv.grpc.proto.CompareAndPutResponse;
import io.metasrv.grpc.proto.DeleteRangeRequest;
import io.metasrv.grpc.proto.DeleteRangeResponse;
import io.metasrv.grpc.proto.PutRequest;
import io.metasrv.grpc.proto.PutResponse;
import io.metasrv.grpc.proto.RangeRequest;
import io.metasrv.grpc.proto.RangeResponse;
import io.metasrv.grpc.proto.StoreGrpc;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import java.util.Optional;

/**
 * {@code greptime.v1.meta.Store} over the node's store. Every node serves it, leader or not, as
 * GreptimeDB's metasrv does; the store's own exceptions become statuses in {@link
 * FailureMappingInterceptor}.
 */
final class StoreService extends StoreGrpc.StoreImplBase {
  private final GrpcBackend backend;

  StoreService(GrpcBackend backend) {
    this.backend = backend;
  }

  private KvBackend store() {
    return backend.store();
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> responses) {
    io.metasrv.kv.RangeResponse found = store().range(ProtoKv.range(request.getKey(),
        request.getRangeEnd(), request.getLimit(), request.getKeysOnly()));
    Unary.reply(responses, RangeResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .addAllKvs(ProtoKv.toProto(found.kvs()))
        .setMore(found.more())
        .build());
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> responses) {
    Optional<KeyValue> prev = store().put(request.getKey().toByteArray(),
        request.getValue().toByteArray());
    PutResponse.Builder response = PutResponse.newBuilder().setHeader(ResponseHeaders.ok());
    if (request.getPrevKv()) {
      prev.ifPresent(kv -> response.setPrevKv(ProtoKv.toProto(kv)));
    }
    Unary.reply(responses, response.build());
  }

  @Override
  public void batchGet(BatchGetRequest request, StreamObserver<BatchGetResponse> responses) {
    Unary.reply(responses, BatchGetResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .addAllKvs(ProtoKv.toProto(store().batchGet(ProtoKv.keys(request.getKeysList()))))
        .build());
  }

  @Override
  public void batchPut(BatchPutRequest request, StreamObserver<BatchPutResponse> responses) {
    Unary.reply(responses, BatchPutResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .addAllPrevKvs(ProtoKv.toProto(store().batchPut(ProtoKv.fromProto(request.getKvsList()),
            request.getPrevKv())))
        .build());
  }

  @Override
  public void batchDelete(BatchDeleteRequest request,
      StreamObserver<BatchDeleteResponse> responses) {
    Unary.reply(responses, BatchDeleteResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .addAllPrevKvs(ProtoKv.toProto(store().batchDelete(ProtoKv.keys(request.getKeysList()),
            request.getPrevKv())))
        .build());
  }

  @Override
  public void compareAndPut(CompareAndPutRequest request,
      StreamObserver<CompareAndPutResponse> responses) {
    // GreptimeDB: an empty expect means "put only if the key does not exist".
    byte[] expect = request.getExpect().isEmpty() ? null : request.getExpect().toByteArray();
    io.metasrv.kv.CompareAndPutResponse result = store().compareAndPut(
        request.getKey().toByteArray(), expect, request.getValue().toByteArray());
    CompareAndPutResponse.Builder response = CompareAndPutResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .setSuccess(result.success());
    result.prev().ifPresent(kv -> response.setPrevKv(ProtoKv.toProto(kv)));
    Unary.reply(responses, response.build());
  }

  @Override
  public void deleteRange(DeleteRangeRequest request,
      StreamObserver<DeleteRangeResponse> responses) {
    io.metasrv.kv.DeleteRangeResponse deleted = store().deleteRange(
        ProtoKv.range(request.getKey(), request.getRangeEnd(), 0, false), request.getPrevKv());
    Unary.reply(responses, DeleteRangeResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .setDeleted(deleted.deleted())
        .addAllPrevKvs(ProtoKv.toProto(deleted.prevKvs()))
        .build());
  }
}
