package io.metasrv.testing;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.metasrv.protocol.region.RegionGrpc;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.ResponseHeader;
import io.metasrv.protocol.v1.Status;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated datanode's {@code /greptime.v1.region.Region/Handle} (GreptimeDB d701c18150 {@code
 * src/servers/src/grpc/region_server.rs}, {@code src/datanode/src/region_server.rs}): records
 * every request, refuses one without a header or body as GreptimeDB does, lets the datanode carry
 * it out, records the message encoding each came in, and answers {@code header.status.status_code = 0} and {@code affected_rows = 0}, or a
 * gRPC error with {@code x-greptime-err-code}. Replies are zstd when the caller accepts it.
 *
 * <p>An injected {@link RegionFault} replaces the next requests' handling (they are still
 * recorded, and not carried out).
 */
final class SimulatedRegionService extends RegionGrpc.RegionImplBase {
  private static final Logger log = LoggerFactory.getLogger(SimulatedRegionService.class);
  private static final RegionResponse OK = RegionResponse.newBuilder()
      .setHeader(ResponseHeader.newBuilder().setStatus(Status.newBuilder().setStatusCode(0)))
      .setAffectedRows(0)
      .build();

  /** A request the datanode refuses, with GreptimeDB's status code. */
  static final class RefusedException extends RuntimeException {
    final int statusCode;

    RefusedException(int statusCode, String message) {
      super(message);
      this.statusCode = statusCode;
    }
  }

  private final SimulatedDatanode datanode;
  private static final Metadata.Key<String> ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

  // Queues, not copy-on-write lists: a benchmark records tens of thousands of requests.
  private final Queue<RegionRequest> received = new ConcurrentLinkedQueue<>();
  private final Queue<String> encodings = new ConcurrentLinkedQueue<>();
  private RegionFault fault;
  private int faultsLeft;

  SimulatedRegionService(SimulatedDatanode datanode) {
    this.datanode = datanode;
  }

  @Override
  public void handle(RegionRequest request, StreamObserver<RegionResponse> answer) {
    received.add(request);
    ((ServerCallStreamObserver<RegionResponse>) answer).setCompression("zstd");
    RegionFault injected = takeFault();
    if (injected instanceof RegionFault.Hang) {
      log.info("{} hangs in a region request", datanode);
      return;
    }
    if (injected instanceof RegionFault.Error error) {
      answer.onError(error.status().asRuntimeException(error.trailers()));
      return;
    }
    try {
      if (!request.hasHeader()) {
        throw new RefusedException(1004, "Expecting non-empty region request header.");
      }
      if (request.getBodyCase() == RegionRequest.BodyCase.BODY_NOT_SET) {
        throw new RefusedException(1004, "Expecting non-empty region request body.");
      }
      datanode.apply(request);
    } catch (RefusedException refused) {
      RegionFault.Error error = (RegionFault.Error) RegionFault.error(refused.statusCode,
          refused.getMessage());
      answer.onError(error.status().asRuntimeException(error.trailers()));
      return;
    }
    answer.onNext(OK);
    answer.onCompleted();
  }

  /** The service with each call's {@code grpc-encoding} recorded. */
  ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(this, new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String encoding = headers.get(ENCODING);
        encodings.add(encoding == null ? "identity" : encoding);
        return next.startCall(call, headers);
      }
    });
  }

  List<String> encodings() {
    return List.copyOf(encodings);
  }

  List<RegionRequest> received() {
    return List.copyOf(received);
  }

  synchronized void inject(RegionFault fault, int times) {
    this.fault = fault;
    this.faultsLeft = times;
  }

  private synchronized RegionFault takeFault() {
    if (faultsLeft == 0) {
      return null;
    }
    if (faultsLeft != Integer.MAX_VALUE) {
      faultsLeft--;
    }
    return fault;
  }
}
