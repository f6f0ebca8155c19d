package io.metasrv.election.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Cuts one jetcd client off from etcd: while cut, every new call fails at once with
 * UNAVAILABLE, as if the network between this node and etcd were down. Streams already open
 * (watches) are left alone.
 */
final class EtcdPartition implements ClientInterceptor {
  private volatile boolean cut;

  void cut() {
    cut = true;
  }

  void heal() {
    cut = false;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    if (!cut) {
      return next.newCall(method, callOptions);
    }
    return new ClientCall<>() {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        listener.onClose(Status.UNAVAILABLE.withDescription("partitioned by the test"),
            new Metadata());
      }

      @Override
      public void request(int numMessages) {}

      @Override
      public void cancel(String message, Throwable cause) {}

      @Override
      public void halfClose() {}

      @Override
      public void sendMessage(ReqT message) {}
    };
  }
}
