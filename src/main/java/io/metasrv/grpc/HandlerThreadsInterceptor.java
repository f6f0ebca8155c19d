package io.metasrv.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the calls of a service that may block (on the election, the store's synchronous methods,
 * the heartbeat pipeline) on the server's handler threads instead of the transport thread that
 * received them: the server itself dispatches directly (see {@link GrpcServer}), which suits the
 * Store service, whose handlers never wait.
 *
 * <p>The call is started, and its listener's callbacks delivered, in order, one at a time, on
 * the handler executor, as grpc-java's own executor would. Place it before any interceptor whose
 * work may block or must see the service's exceptions, so they run on the handler thread too.
 * A message that is still an unparsed body ({@link InputStream}, see {@link
 * io.grpc.ServerInterceptors#useInputStreamMessages}) is read into memory first: the transport's
 * buffer behind it is only valid during the callback.
 */
final class HandlerThreadsInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(HandlerThreadsInterceptor.class);

  private final Executor handlers;

  HandlerThreadsInterceptor(Executor handlers) {
    this.handlers = handlers;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Serial serial = new Serial(handlers);
    Deferred<Q> listener = new Deferred<>(serial);
    serial.execute(() -> listener.delegate = next.startCall(call, headers));
    return listener;
  }

  /** Forwards each callback to the listener the call started with, on the serial executor. */
  private static final class Deferred<Q> extends ServerCall.Listener<Q> {
    private final Serial serial;
    /** Set by the first task; read only by later tasks of the same serial executor. */
    private ServerCall.Listener<Q> delegate;

    Deferred(Serial serial) {
      this.serial = serial;
    }

    @Override
    public void onMessage(Q message) {
      Q detached = detached(message);
      serial.execute(() -> {
        if (delegate != null) {
          delegate.onMessage(detached);
        }
      });
    }

    @SuppressWarnings("unchecked")
    private static <Q> Q detached(Q message) {
      if (!(message instanceof InputStream body)) {
        return message;
      }
      try (body) {
        return (Q) new ByteArrayInputStream(body.readAllBytes());
      } catch (IOException e) {
        return (Q) new InputStream() { // fails the parse, as the transport's stream would have
          @Override
          public int read() throws IOException {
            throw e;
          }
        };
      }
    }

    @Override
    public void onHalfClose() {
      serial.execute(() -> {
        if (delegate != null) {
          delegate.onHalfClose();
        }
      });
    }

    @Override
    public void onCancel() {
      serial.execute(() -> {
        if (delegate != null) {
          delegate.onCancel();
        }
      });
    }

    @Override
    public void onComplete() {
      serial.execute(() -> {
        if (delegate != null) {
          delegate.onComplete();
        }
      });
    }

    @Override
    public void onReady() {
      serial.execute(() -> {
        if (delegate != null) {
          delegate.onReady();
        }
      });
    }
  }

  /** Runs tasks one at a time, in submission order, on a shared executor. */
  private static final class Serial implements Executor {
    private final Executor executor;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    Serial(Executor executor) {
      this.executor = executor;
    }

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
      schedule();
    }

    private void schedule() {
      if (scheduled.compareAndSet(false, true)) {
        try {
          executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
          // the server is stopping: the transport cancels the call
          tasks.clear();
          log.debug("call task dropped, the handler executor is shut down");
        }
      }
    }

    private void drain() {
      try {
        Runnable task;
        while ((task = tasks.poll()) != null) {
          try {
            task.run();
          } catch (RuntimeException e) {
            log.error("call task failed", e);
          }
        }
      } finally {
        scheduled.set(false);
        if (!tasks.isEmpty()) {
          schedule();
        }
      }
    }
  }
}
