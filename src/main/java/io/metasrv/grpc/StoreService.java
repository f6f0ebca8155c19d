package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.KvBackend;
import io.metasrv.protocol.BatchDeleteRequest;
import io.metasrv.protocol.BatchDeleteResponse;
import io.metasrv.protocol.BatchGetRequest;
import io.metasrv.protocol.BatchGetResponse;
import io.metasrv.protocol.BatchPutRequest;
import io.metasrv.protocol.BatchPutResponse;
import io.metasrv.protocol.CompareAndPutRequest;
import io.metasrv.protocol.CompareAndPutResponse;
import io.metasrv.protocol.DeleteRangeRequest;
import io.metasrv.protocol.DeleteRangeResponse;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.PutResponse;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.StoreGrpc;
import java.util.List;

/**
 * {@code greptime.v1.meta.Store} over the node's store. Every node serves it, leader or not, as
 * GreptimeDB's metasrv does, except that a follower refuses writes of keys the leader caches
 * ({@link GrpcBackend#mayWrite}) with UNAVAILABLE naming the leader, which GreptimeDB's clients
 * retry on another node.
 *
 * <p>No handler waits for the store: each starts the store's asynchronous call (through every
 * decorator of the node's store) and returns; the answer goes out when the call completes, from
 * the thread that completes it. A request refused while it is read (a negative limit, a body
 * that does not parse) is thrown and answered by {@link FailureMappingInterceptor}; the store's
 * refusals and failures are answered with the same statuses by {@link Unary#replyLater}.
 */
final class StoreService extends StoreGrpc.StoreImplBase {
  private static final String RANGE = StoreGrpc.getRangeMethod().getFullMethodName();
  private static final String PUT = StoreGrpc.getPutMethod().getFullMethodName();
  private static final String BATCH_GET = StoreGrpc.getBatchGetMethod().getFullMethodName();
  private static final String BATCH_PUT = StoreGrpc.getBatchPutMethod().getFullMethodName();
  private static final String BATCH_DELETE =
      StoreGrpc.getBatchDeleteMethod().getFullMethodName();
  private static final String COMPARE_AND_PUT =
      StoreGrpc.getCompareAndPutMethod().getFullMethodName();
  private static final String DELETE_RANGE =
      StoreGrpc.getDeleteRangeMethod().getFullMethodName();

  private final GrpcBackend backend;

  StoreService(GrpcBackend backend) {
    this.backend = backend;
  }

  private KvBackend store() {
    return backend.store();
  }

  private void requireWritable(io.metasrv.kv.RangeRequest keys) {
    if (!backend.mayWrite(keys)) {
      throw new NoLeaderException("this metasrv is not the leader; table routes, names and node"
          + " addresses are written through the leader"
          + backend.leaderAddr().map(addr -> " (" + addr + ")").orElse(""));
    }
  }

  private void requireWritable(List<byte[]> keys) {
    keys.forEach(key -> requireWritable(io.metasrv.kv.RangeRequest.single(key)));
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> responses) {
    Unary.replyLater(RANGE, responses, store().rangeAsync(ProtoKv.range(request.getKey(),
        request.getRangeEnd(), request.getLimit(), request.getKeysOnly())),
        found -> RangeResponse.newBuilder()
            .setHeader(ResponseHeaders.ok())
            .addAllKvs(ProtoKv.toProto(found.kvs()))
            .setMore(found.more())
            .build());
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> responses) {
    requireWritable(io.metasrv.kv.RangeRequest.single(request.getKey().toByteArray()));
    Unary.replyLater(PUT, responses,
        store().putAsync(request.getKey().toByteArray(), request.getValue().toByteArray()),
        prev -> {
          PutResponse.Builder response = PutResponse.newBuilder().setHeader(ResponseHeaders.ok());
          if (request.getPrevKv()) {
            prev.ifPresent(kv -> response.setPrevKv(ProtoKv.toProto(kv)));
          }
          return response.build();
        });
  }

  @Override
  public void batchGet(BatchGetRequest request, StreamObserver<BatchGetResponse> responses) {
    Unary.replyLater(BATCH_GET, responses,
        store().batchGetAsync(ProtoKv.keys(request.getKeysList())),
        found -> BatchGetResponse.newBuilder()
            .setHeader(ResponseHeaders.ok())
            .addAllKvs(ProtoKv.toProto(found))
            .build());
  }

  @Override
  public void batchPut(BatchPutRequest request, StreamObserver<BatchPutResponse> responses) {
    List<KeyValue> kvs = ProtoKv.fromProto(request.getKvsList());
    requireWritable(kvs.stream().map(KeyValue::key).toList());
    Unary.replyLater(BATCH_PUT, responses, store().batchPutAsync(kvs, request.getPrevKv()),
        prevs -> BatchPutResponse.newBuilder()
            .setHeader(ResponseHeaders.ok())
            .addAllPrevKvs(ProtoKv.toProto(prevs))
            .build());
  }

  @Override
  public void batchDelete(BatchDeleteRequest request,
      StreamObserver<BatchDeleteResponse> responses) {
    List<byte[]> keys = ProtoKv.keys(request.getKeysList());
    requireWritable(keys);
    Unary.replyLater(BATCH_DELETE, responses, store().batchDeleteAsync(keys, request.getPrevKv()),
        prevs -> BatchDeleteResponse.newBuilder()
            .setHeader(ResponseHeaders.ok())
            .addAllPrevKvs(ProtoKv.toProto(prevs))
            .build());
  }

  @Override
  public void compareAndPut(CompareAndPutRequest request,
      StreamObserver<CompareAndPutResponse> responses) {
    requireWritable(io.metasrv.kv.RangeRequest.single(request.getKey().toByteArray()));
    // GreptimeDB: an empty expect means "put only if the key does not exist".
    byte[] expect = request.getExpect().isEmpty() ? null : request.getExpect().toByteArray();
    Unary.replyLater(COMPARE_AND_PUT, responses, store().compareAndPutAsync(
        request.getKey().toByteArray(), expect, request.getValue().toByteArray()),
        result -> {
          CompareAndPutResponse.Builder response = CompareAndPutResponse.newBuilder()
              .setHeader(ResponseHeaders.ok())
              .setSuccess(result.success());
          result.prev().ifPresent(kv -> response.setPrevKv(ProtoKv.toProto(kv)));
          return response.build();
        });
  }

  @Override
  public void deleteRange(DeleteRangeRequest request,
      StreamObserver<DeleteRangeResponse> responses) {
    io.metasrv.kv.RangeRequest range = ProtoKv.range(request.getKey(), request.getRangeEnd(), 0, false);
    requireWritable(range);
    Unary.replyLater(DELETE_RANGE, responses, store().deleteRangeAsync(range,
        request.getPrevKv()),
        deleted -> DeleteRangeResponse.newBuilder()
            .setHeader(ResponseHeaders.ok())
            .setDeleted(deleted.deleted())
            .addAllPrevKvs(ProtoKv.toProto(deleted.prevKvs()))
            .build());
  }
}
