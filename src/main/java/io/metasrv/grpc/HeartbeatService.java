package io.metasrv.grpc;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.metasrv.heartbeat.HeartbeatHandlerException;
import io.metasrv.heartbeat.HeartbeatPipeline;
import io.metasrv.heartbeat.ParsedHeartbeat;
import io.metasrv.heartbeat.Pusher;
import io.metasrv.heartbeat.PusherKey;
import io.metasrv.protocol.AskLeaderRequest;
import io.metasrv.protocol.AskLeaderResponse;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.HeartbeatResponse;
import io.metasrv.protocol.Peer;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.ResponseHeaders;
import io.metasrv.protocol.Role;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code greptime.v1.meta.Heartbeat}: the nodes' heartbeat streams and {@code AskLeader}.
 *
 * <p>Every heartbeat request gets exactly one response, in order, from the {@link
 * HeartbeatPipeline}; mailbox messages the leader pushes go out between them. As with
 * GreptimeDB's metasrv, a NotLeader answer (code 2) is followed by the end of the stream, so
 * that the node asks for the leader again; a request with a missing or wrong header, or a
 * handler's failure, ends the stream with an error status (INVALID_ARGUMENT, or the failure's
 * status) and the node reconnects.
 *
 * <p>A node that does not read its stream is not buffered for without bound: once {@value
 * #MAX_SENT_WHILE_NOT_READY} messages have been queued while the transport said the stream was
 * not ready, the stream is dropped with a log line, and the node reconnects.
 */
final class HeartbeatService implements BindableService {
  private static final Logger log = LoggerFactory.getLogger(HeartbeatService.class);
  /**
   * How many messages may be queued beyond the transport's buffer for a node that does not read
   * its stream before the stream is dropped: enough for a burst of broadcasts, not unbounded.
   */
  private static final int MAX_SENT_WHILE_NOT_READY = 128;

  private final GrpcBackend backend;
  private final HeartbeatPipeline pipeline;

  HeartbeatService(GrpcBackend backend, HeartbeatPipeline pipeline) {
    this.backend = backend;
    this.pipeline = pipeline;
  }

  /**
   * The generated service's methods, except that heartbeat requests are read by {@link
   * ParsedHeartbeatMarshaller} rather than the generated parser, and responses written by {@link
   * HeartbeatResponseMarshaller}.
   */
  @Override
  public ServerServiceDefinition bindService() {
    MethodDescriptor<HeartbeatRequest, HeartbeatResponse> generated =
        HeartbeatGrpc.getHeartbeatMethod();
    MethodDescriptor<ParsedHeartbeat, HeartbeatResponse> heartbeat =
        MethodDescriptor.<ParsedHeartbeat, HeartbeatResponse>newBuilder()
            .setType(generated.getType())
            .setFullMethodName(generated.getFullMethodName())
            .setRequestMarshaller(new ParsedHeartbeatMarshaller())
            .setResponseMarshaller(new HeartbeatResponseMarshaller())
            .setSchemaDescriptor(generated.getSchemaDescriptor())
            .build();
    MethodDescriptor<AskLeaderRequest, AskLeaderResponse> askLeader =
        HeartbeatGrpc.getAskLeaderMethod();
    ServiceDescriptor service = ServiceDescriptor.newBuilder(HeartbeatGrpc.SERVICE_NAME)
        .setSchemaDescriptor(HeartbeatGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(heartbeat)
        .addMethod(askLeader)
        .build();
    return ServerServiceDefinition.builder(service)
        .addMethod(heartbeat, ServerCalls.asyncBidiStreamingCall(this::heartbeat))
        .addMethod(askLeader, ServerCalls.asyncUnaryCall(this::askLeader))
        .build();
  }

  /** Every node answers with the leader's address, its own when it leads. */
  private void askLeader(AskLeaderRequest request, StreamObserver<AskLeaderResponse> responses) {
    String leader = backend.leaderAddr().orElseThrow(NoLeaderException::new);
    Unary.reply(responses, AskLeaderResponse.newBuilder()
        .setHeader(ResponseHeaders.ok())
        // GreptimeDB gives metasrv nodes no id: always 0.
        .setLeader(Peer.newBuilder().setId(0).setAddr(leader))
        .build());
  }

  private StreamObserver<ParsedHeartbeat> heartbeat(StreamObserver<HeartbeatResponse> responses) {
    return new HeartbeatStream((ServerCallStreamObserver<HeartbeatResponse>) responses);
  }

  /**
   * One node's stream. grpc-java delivers its requests one at a time; the mailbox pushes from
   * other threads, so every send is synchronized on the stream.
   */
  private final class HeartbeatStream implements StreamObserver<ParsedHeartbeat>, Pusher {
    private final ServerCallStreamObserver<HeartbeatResponse> responses;
    private RequestHeader first;
    private volatile PusherKey key; // set by the first request, read on cancel too
    private volatile String peerAddr = ""; // the address the node's requests announce
    private boolean closed; // guarded by this
    private int sentWhileNotReady; // guarded by this

    HeartbeatStream(ServerCallStreamObserver<HeartbeatResponse> responses) {
      this.responses = responses;
      responses.setOnCancelHandler(this::deregister);
    }

    @Override
    public void onNext(ParsedHeartbeat heartbeat) {
      synchronized (this) {
        if (closed) {
          return;
        }
      }
      HeartbeatRequest request = heartbeat.request();
      String headerProblem = checkHeader(request);
      if (headerProblem != null) {
        log.debug("heartbeat with a bad header refused: {}", headerProblem);
        fail(new InvalidRequestException(headerProblem));
        return;
      }
      if (key == null) {
        key = pipeline.open(first.getRole(), first.getMemberId(), this);
      }
      if (request.hasPeer()) {
        peerAddr = request.getPeer().getAddr();
      }
      HeartbeatResponse response;
      try {
        response = pipeline.handle(key, heartbeat);
      } catch (HeartbeatHandlerException e) {
        log.warn("heartbeat of {} failed in {}; ending its stream: {}", key, e.handler(),
            e.getCause().toString());
        fail(e.getCause());
        return;
      }
      if (!push(response)) {
        return;
      }
      if (response.getHeader().getError().getCode() == ResponseHeaders.NOT_LEADER) {
        log.debug("heartbeat from {} reached a follower; answered NotLeader, closing", key);
        complete();
      }
    }

    /** Sends a response or a mailbox push; a stream its node does not read is dropped. */
    @Override
    public synchronized boolean push(HeartbeatResponse response) {
      if (closed) {
        return false;
      }
      if (responses.isReady()) {
        sentWhileNotReady = 0;
      } else if (++sentWhileNotReady > MAX_SENT_WHILE_NOT_READY) {
        log.warn("heartbeat stream of {} {} at '{}' (pusher {}) is not read by its node: {}"
            + " messages queued unread beyond the transport's buffer; dropping the stream",
            key.role().name().toLowerCase(Locale.ROOT), Long.toUnsignedString(key.id()),
            peerAddr, key, MAX_SENT_WHILE_NOT_READY);
        closed = true;
        deregister();
        responses.onError(io.grpc.Status.UNAVAILABLE
            .withDescription("heartbeat stream not read by its node; dropped").asException());
        return false;
      }
      responses.onNext(response);
      return true;
    }

    /** A one-way message goes only to a stream that can take it now. */
    @Override
    public synchronized boolean offer(HeartbeatResponse response) {
      if (closed || !responses.isReady()) {
        return false;
      }
      responses.onNext(response);
      return true;
    }

    private synchronized void complete() {
      if (!closed) {
        closed = true;
        deregister();
        responses.onCompleted();
      }
    }

    private synchronized void fail(Throwable failure) {
      if (!closed) {
        closed = true;
        deregister();
        FailureStatus.Answer answer = FailureStatus.of(failure);
        if (!answer.expected()) {
          log.error("heartbeat of {} failed", key, failure);
        }
        responses.onError(answer.status().asException(answer.trailers()));
      }
    }

    private void deregister() {
      if (key != null) {
        pipeline.close(key, this);
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
        return "invalid role: " + header.getRoleValue();
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
        return "request header names " + header.getRole() + " "
            + Long.toUnsignedString(header.getMemberId()) + " but this stream belongs to "
            + first.getRole() + " " + Long.toUnsignedString(first.getMemberId());
      }
      return null;
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        closed = true;
      }
      deregister();
      log.debug("heartbeat stream of {} ended by the client: {}", key, t.toString());
    }

    @Override
    public void onCompleted() {
      complete();
    }
  }
}
