package io.metasrv.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Times every call in the timer {@value #METER} (Prometheus: {@code
 * metasrv_grpc_requests_seconds_count}, {@code _sum}, {@code _max}), tagged with the full method
 * name and the status code the call ended with: counts, latency and errors per method. A
 * heartbeat stream is one call, timed from open to close; a call the client cancels before the
 * server answered counts as {@code CANCELLED}.
 */
final class RequestMetricsInterceptor implements ServerInterceptor {
  static final String METER = "metasrv.grpc.requests";

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  RequestMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    long startedAt = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    AtomicBoolean recorded = new AtomicBoolean();
    ServerCall.Listener<Q> listener = next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        record(method, status.getCode(), startedAt, recorded);
        super.close(status, trailers);
      }
    }, headers);
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        record(method, Status.Code.CANCELLED, startedAt, recorded);
        super.onCancel();
      }
    };
  }

  private void record(String method, Status.Code code, long startedAt, AtomicBoolean recorded) {
    if (recorded.compareAndSet(false, true)) {
      timer(method, code).record(System.nanoTime() - startedAt, TimeUnit.NANOSECONDS);
    }
  }

  private Timer timer(String method, Status.Code code) {
    return timers.computeIfAbsent(method + ' ' + code, key -> Timer.builder(METER)
        .description("gRPC requests served, by method and status")
        .tag("method", method)
        .tag("status", code.name())
        .register(registry));
  }
}
