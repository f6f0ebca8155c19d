package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.kv.KvBackend;
import io.metasrv.protocol.BatchGetRequest;
import io.metasrv.protocol.BatchGetResponse;
import io.metasrv.protocol.ClusterGrpc;
import io.metasrv.protocol.MetasrvPeersRequest;
import io.metasrv.protocol.MetasrvPeersResponse;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.ResponseHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code greptime.v1.meta.Cluster}: reads of the leader's in-memory view of the cluster, and the
 * list of metasrv peers. Only the leader has the view; followers answer NotLeader in the header.
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private static final Logger log = LoggerFactory.getLogger(ClusterService.class);

  private final GrpcBackend backend;

  ClusterService(GrpcBackend backend) {
    this.backend = backend;
  }

  @Override
  public void batchGet(BatchGetRequest request, StreamObserver<BatchGetResponse> responses) {
    if (!backend.isLeader()) {
      refuseAsFollower("batch_get");
      Unary.reply(responses,
          BatchGetResponse.newBuilder().setHeader(ResponseHeaders.notLeader()).build());
      return;
    }
    KvBackend view = backend.inMemoryView();
    Unary.reply(responses, BatchGetResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .addAllKvs(ProtoKv.toProto(view.batchGet(ProtoKv.keys(request.getKeysList()))))
        .build());
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> responses) {
    if (!backend.isLeader()) {
      refuseAsFollower("range");
      Unary.reply(responses,
          RangeResponse.newBuilder().setHeader(ResponseHeaders.notLeader()).build());
      return;
    }
    io.metasrv.kv.RangeResponse found = backend.inMemoryView().range(ProtoKv.range(
        request.getKey(), request.getRangeEnd(), request.getLimit(), request.getKeysOnly()));
    Unary.reply(responses, RangeResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .addAllKvs(ProtoKv.toProto(found.kvs()))
        .setMore(found.more())
        .build());
  }

  /** The leader is this node; followers are every other live candidate. */
  @Override
  public void metasrvPeers(MetasrvPeersRequest request,
      StreamObserver<MetasrvPeersResponse> responses) {
    if (!backend.isLeader()) {
      refuseAsFollower("metasrv_peers");
      Unary.reply(responses,
          MetasrvPeersResponse.newBuilder().setHeader(ResponseHeaders.notLeader()).build());
      return;
    }
    MetasrvNodeInfo self = backend.nodeInfo();
    MetasrvPeersResponse.Builder response = MetasrvPeersResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        .setLeader(toProto(self));
    for (MetasrvNodeInfo candidate : backend.candidates()) {
      if (!candidate.addr().equals(self.addr())) {
        response.addFollowers(toProto(candidate));
      }
    }
    Unary.reply(responses, response.build());
  }

  private static io.metasrv.protocol.MetasrvNodeInfo toProto(MetasrvNodeInfo node) {
    return io.metasrv.protocol.MetasrvNodeInfo.newBuilder()
        // GreptimeDB gives metasrv nodes no id: always 0.
        .setPeer(Peer.newBuilder().setId(0).setAddr(node.addr()))
        .setVersion(node.version())
        .setGitCommit(node.gitCommit())
        .setStartTimeMs(node.startTimeMs())
        .build();
  }

  private static void refuseAsFollower(String method) {
    log.debug("cluster {} reached a follower; answered NotLeader", method);
  }
}
