package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;
import io.metasrv.kv.KvFutures;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes a unary call, now or when a result arrives. */
final class Unary {
  private static final Logger log = LoggerFactory.getLogger(Unary.class);

  private Unary() {}

  static <T> void reply(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }

  /**
   * Answers when {@code result} completes, on the thread that completes it (for etcd, the etcd
   * client's), without any thread waiting meanwhile. A failure, of the call or of {@code
   * toResponse}, is answered with the status and trailers {@link FailureMappingInterceptor}
   * would have given it had the handler thrown it ({@link FailureStatus}).
   */
  static <V, T> void replyLater(String method, StreamObserver<T> responses,
      CompletableFuture<V> result, Function<V, T> toResponse) {
    result.whenComplete((value, error) -> {
      if (error == null) {
        T response;
        try {
          response = toResponse.apply(value);
        } catch (RuntimeException e) {
          fail(method, responses, e);
          return;
        }
        try {
          reply(responses, response);
        } catch (RuntimeException e) {
          // the call ended meanwhile (cancelled by the client, or the server is stopping)
          log.debug("{}: answer not sent, the call has ended: {}", method, e.toString());
        }
      } else {
        fail(method, responses, KvFutures.cause(error));
      }
    });
  }

  static void fail(String method, StreamObserver<?> responses, Throwable failure) {
    FailureStatus.Answer answer = FailureStatus.of(failure);
    answer.log(log, method, failure);
    try {
      responses.onError(answer.status().asRuntimeException(answer.trailers()));
    } catch (RuntimeException e) {
      log.debug("{}: failure not sent, the call has ended: {}", method, e.toString());
    }
  }
}
