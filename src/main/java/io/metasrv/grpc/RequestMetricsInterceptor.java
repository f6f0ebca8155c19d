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
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Times every call in the timer {@value #METER} (Prometheus: {@code
 * metasrv_grpc_requests_seconds_count}, {@code _sum}, {@code _max}), tagged with the full method
 * name and the status code the call ended with: counts, latency and errors per method. A
 * heartbeat stream is one call, timed from open to close; a call the client cancels before the
 * server answered counts as {@code CANCELLED}.
 */
final class RequestMetricsInterceptor implements ServerInterceptor {
  static final String METER = "metasrv.grpc.requests";
  private static final Status.Code[] CODES = Status.Code.values();

  private final MeterRegistry registry;
  /** Per full method name, its timers indexed by status code, registered on first use. */
  private final ConcurrentMap<String, AtomicReferenceArray<Timer>> timers =
      new ConcurrentHashMap<>();

  RequestMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    AtomicReferenceArray<Timer> byCode =
        timers.computeIfAbsent(method, m -> new AtomicReferenceArray<>(CODES.length));
    TimedCall<Q, R> timed = new TimedCall<>(call, method, byCode);
    return new SimpleForwardingServerCallListener<>(next.startCall(timed, headers)) {
      @Override
      public void onCancel() {
        timed.record(Status.Code.CANCELLED);
        super.onCancel();
      }
    };
  }

  /** Times one call: the first of close and cancel records. */
  private final class TimedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private static final AtomicIntegerFieldUpdater<TimedCall<?, ?>> RECORDED =
        newUpdater();

    private final long startedAt = System.nanoTime();
    private final String method;
    private final AtomicReferenceArray<Timer> byCode;
    private volatile int recorded;

    TimedCall(ServerCall<Q, R> delegate, String method, AtomicReferenceArray<Timer> byCode) {
      super(delegate);
      this.method = method;
      this.byCode = byCode;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static AtomicIntegerFieldUpdater<TimedCall<?, ?>> newUpdater() {
      return (AtomicIntegerFieldUpdater) AtomicIntegerFieldUpdater.newUpdater(TimedCall.class,
          "recorded");
    }

    @Override
    public void close(Status status, Metadata trailers) {
      record(status.getCode());
      super.close(status, trailers);
    }

    void record(Status.Code code) {
      if (RECORDED.compareAndSet(this, 0, 1)) {
        timer(code).record(System.nanoTime() - startedAt, TimeUnit.NANOSECONDS);
      }
    }

    private Timer timer(Status.Code code) {
      Timer timer = byCode.get(code.ordinal());
      if (timer == null) {
        // Micrometer returns the registered timer when another thread got here first.
        timer = Timer.builder(METER)
            .description("gRPC requests served, by method and status")
            .tag("method", method)
            .tag("status", code.name())
            .register(registry);
        byCode.set(code.ordinal(), timer);
      }
      return timer;
    }
  }
}
