package io.metasrv.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every exception a service throws with the status {@link FailureStatus} chooses, so no
 * request, however malformed, ends a call with grpc-java's generic UNKNOWN or takes anything else
 * down. Sits around services whose request bodies are parsed by the service definition (see
 * {@link GrpcServer}), so unparsable bodies arrive here as exceptions too.
 */
final class FailureMappingInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(FailureMappingInterceptor.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    CloseOnceCall<Q, R> guarded = new CloseOnceCall<>(call);
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(guarded, headers);
    } catch (RuntimeException e) {
      guarded.fail(e);
      return new ServerCall.Listener<>() {};
    }
    // No lambdas here: every message of every call passes through, and each would allocate.
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        if (!guarded.closed) {
          try {
            super.onMessage(message);
          } catch (RuntimeException e) {
            guarded.fail(e);
          }
        }
      }

      @Override
      public void onHalfClose() {
        if (!guarded.closed) {
          try {
            super.onHalfClose();
          } catch (RuntimeException e) {
            guarded.fail(e);
          }
        }
      }

      @Override
      public void onReady() {
        if (!guarded.closed) {
          try {
            super.onReady();
          } catch (RuntimeException e) {
            guarded.fail(e);
          }
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } catch (RuntimeException e) {
          guarded.fail(e);
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } catch (RuntimeException e) {
          guarded.fail(e);
        }
      }
    };
  }

  /** Remembers whether the call was closed, so a failure after the answer is only logged. */
  private static final class CloseOnceCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    volatile boolean closed;

    CloseOnceCall(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      closed = true;
      super.close(status, trailers);
    }

    void fail(RuntimeException failure) {
      String method = getMethodDescriptor().getFullMethodName();
      FailureStatus.Answer answer = FailureStatus.of(failure);
      if (closed) {
        log.warn("{} failed after it was answered: {}", method, failure.toString());
        return;
      }
      answer.log(log, method, failure);
      try {
        close(answer.status(), answer.trailers());
      } catch (IllegalStateException alreadyClosed) {
        log.debug("{} was closed by the transport before its failure could be sent", method);
      }
    }
  }
}
