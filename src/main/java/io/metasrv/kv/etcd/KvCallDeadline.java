package io.metasrv.kv.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every etcd KV call a gRPC deadline: the store's through {@link EtcdKvChannel} and the
 * election's through jetcd.
 *
 * <p>Both send calls with wait-for-ready and, without this, no deadline: while etcd is down a
 * call waits in the channel, and giving up on its future does not cancel it. A write the caller
 * was told had timed out would then be applied whenever etcd came back. With a deadline the call
 * itself ends, so a timed-out write is either already at etcd or never sent.
 *
 * <p>Only unary KV calls: watch and lease keep-alive streams live as long as they are needed.
 */
final class KvCallDeadline implements ClientInterceptor {
  private static final String KV_SERVICE = "etcdserverpb.KV";

  private final Duration timeout;

  KvCallDeadline(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    boolean kvCall = method.getType() == MethodDescriptor.MethodType.UNARY
        && KV_SERVICE.equals(method.getServiceName());
    return next.newCall(method, kvCall
        ? callOptions.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
        : callOptions);
  }
}
