package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.AskLeaderResponse;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code greptime.v1.meta.Heartbeat}: the nodes' heartbeat streams and {@code AskLeader}.
 *
 * <p>Every heartbeat request gets exactly one response, in order: the {@link HeartbeatHandler}'s
 * on the leader; one whose header carries an error when the request's header is missing or
 * wrong (the stream stays open); NotLeader (code 2) on a follower, which then closes the stream
 * so that the node asks for the leader again, as GreptimeDB's metasrv does.
 */
final class HeartbeatService extends HeartbeatGrpc.HeartbeatImplBase {
  private static final Logger log = LoggerFactory.getLogger(HeartbeatService.class);

  private final GrpcBackend backend;
  private final HeartbeatHandler handler;

  HeartbeatService(GrpcBackend backend, HeartbeatHandler handler) {
    this.backend = backend;
    this.handler = handler;
  }

  /** Every node answers with the leader's address, its own when it leads. */
  @Override
  public void askLeader(AskLeaderRequest request, StreamObserver<AskLeaderResponse> responses) {
    String leader = backend.leaderAddr().orElseThrow(NoLeaderException::new);
    Unary.reply(responses, AskLeaderResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        // GreptimeDB gives metasrv nodes no id: always 0.
        .setLeader(Peer.newBuilder().setId(0).setAddr(leader))
        .build());
  }

  @Override
  public StreamObserver<HeartbeatRequest> heartbeat(StreamObserver<HeartbeatResponse> responses) {
    return new HeartbeatStream(responses);
  }

  /** One node's stream. grpc-java delivers its requests one at a time. */
  private final class HeartbeatStream implements StreamObserver<HeartbeatRequest> {
    private final StreamObserver<HeartbeatResponse> responses;
    private RequestHeader first;
    private boolean closed;

    HeartbeatStream(StreamObserver<HeartbeatResponse> responses) {
      this.responses = responses;
    }

    @Override
    public void onNext(HeartbeatRequest request) {
      if (closed) {
        return;
      }
      String headerProblem = checkHeader(request);
      if (headerProblem != null) {
        log.debug("heartbeat with a bad header refused: {}", headerProblem);
        responses.onNext(failed(GreptimeStatusCode.INVALID_ARGUMENTS, headerProblem));
        return;
      }
      if (!backend.isLeader()) {
        log.debug("heartbeat from {} {} reached a follower; answered NotLeader, closing",
            first.getRole(), first.getMemberId());
        responses.onNext(HeartbeatResponse.newBuilder()
            .setHeader(ResponseHeaders.notLeader())
            .build());
        closed = true;
        responses.onCompleted();
        return;
      }
      responses.onNext(handle(request));
    }

    private HeartbeatResponse handle(HeartbeatRequest request) {
      try {
        return handler.handle(request);
      } catch (RuntimeException e) {
        // The node still gets its one answer; the stream survives a handler's failure.
        FailureStatus.Answer answer = FailureStatus.of(e);
        if (!answer.expected()) {
          log.error("heartbeat handler failed for {} {}", first.getRole(), first.getMemberId(), e);
        }
        return failed(answer.code(), answer.status().getDescription());
      }
    }

    /**
     * The header must be there, name a known role and a protocol version this server speaks,
     * and keep the member id and role of the stream's first request: the stream is that node's.
     * Returns what is wrong, or null.
     */
    private String checkHeader(HeartbeatRequest request) {
      if (!request.hasHeader()) {
        return "missing request header";
      }
      RequestHeader header = request.getHeader();
      if (header.getRole() == Role.UNRECOGNIZED) {
        return "unknown role " + header.getRoleValue() + " in request header";
      }
      if (header.getProtocolVersion() > ResponseHeaders.PROTOCOL_VERSION) {
        return "protocol version " + header.getProtocolVersion() + " is not supported; this"
            + " metasrv speaks " + ResponseHeaders.PROTOCOL_VERSION;
      }
      if (first == null) {
        first = header;
        return null;
      }
      if (header.getMemberId() != first.getMemberId() || header.getRole() != first.getRole()) {
        return "request header names " + header.getRole() + " " + header.getMemberId()
            + " but this stream belongs to " + first.getRole() + " " + first.getMemberId();
      }
      return null;
    }

    @Override
    public void onError(Throwable t) {
      closed = true;
      log.debug("heartbeat stream ended by the client: {}", t.toString());
    }

    @Override
    public void onCompleted() {
      if (!closed) {
        closed = true;
        responses.onCompleted();
      }
    }
  }

  private static HeartbeatResponse failed(GreptimeStatusCode code, String message) {
    return HeartbeatResponse.newBuilder()
        .setHeader(ResponseHeaders.failed(code.code, message))
        .build();
  }
}
