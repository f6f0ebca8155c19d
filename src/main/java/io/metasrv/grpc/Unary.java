package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes a unary call. */
final class Unary {
  private static final Logger log = LoggerFactory.getLogger(Unary.class);

  private Unary() {}

  static <T> void reply(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }

  /**
   * Answers when {@code result} completes, from the thread that completes it. A failure gets
   * the status {@link FailureMappingInterceptor} would give it, had it been thrown.
   */
  static <V, T> void replyLater(StreamObserver<T> responses, CompletableFuture<V> result,
      Function<V, T> toResponse) {
    result.whenComplete((value, error) -> {
      Throwable failure = error;
      if (failure == null) {
        try {
          reply(responses, toResponse.apply(value));
          return;
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      fail(responses, failure);
    });
  }

  private static void fail(StreamObserver<?> responses, Throwable error) {
    Throwable failure = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    FailureStatus.Answer answer = FailureStatus.of(failure);
    if (answer.expected()) {
      log.debug("refused: {} {}", answer.status().getCode(), answer.status().getDescription());
    } else {
      log.error("failed unexpectedly", failure);
    }
    try {
      responses.onError(answer.status().asRuntimeException(answer.trailers()));
    } catch (RuntimeException alreadyClosed) {
      log.debug("call closed before its failure could be sent: {}", alreadyClosed.toString());
    }
  }
}
