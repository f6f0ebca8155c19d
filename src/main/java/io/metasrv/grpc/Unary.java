package io.metasrv.grpc;

import io.grpc.stub.StreamObserver;

/** Completes a unary call. */
final class Unary {
  private Unary() {}

  static <T> void reply(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }
}
