package io.metasrv.kv.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.Attributes;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.metasrv.kv.KvException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * etcd's KV service over a plain grpc-java channel: the generated {@link KVGrpc} methods, called
 * straight on a channel of our own, without jetcd's Vert.x stubs and Failsafe retries.
 *
 * <p>The channel behaves as jetcd's does: it knows every configured endpoint and uses the first
 * one that answers ({@code pick_first}), moving on when that one dies; TLS with the configured CA
 * and client certificate; keep-alive pings every 30 s; calls wait for a connection
 * (wait-for-ready) until {@link KvCallDeadline}'s deadline. With a username, every call carries
 * the token etcd's Authenticate hands out, in the {@code token} header; a call refused for an
 * invalid or outdated token gets a fresh token and is sent once more. Reads that fail with
 * {@code UNAVAILABLE} (a connection lost under them) are retried after a back-off, as jetcd
 * retries them; writes are not, as jetcd does not, since they may have been applied.
 *
 * <p>Answers complete their futures on the channel's network thread.
 */
final class EtcdKvChannel implements AutoCloseable {
  private static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);
  private static final String INVALID_TOKEN = "etcdserver: invalid auth token";
  private static final String AUTH_STORE_OLD = "etcdserver: revision of auth store is old";
  // jetcd's retry settings: at most 2 retries, back-off from 500 ms doubling up to 2.5 s
  private static final int MAX_RETRIES = 2;
  private static final long RETRY_DELAY_MILLIS = 500;
  private static final long RETRY_MAX_DELAY_MILLIS = 2500;

  private final ManagedChannel managed;
  private final Channel channel;
  private final CallOptions callOptions;
  private final long retryWindowNanos;

  private EtcdKvChannel(ManagedChannel managed, EtcdKvConfig config) {
    this.managed = managed;
    this.channel = ClientInterceptors.intercept(managed,
        new KvCallDeadline(config.requestTimeout()));
    CallOptions options = CallOptions.DEFAULT.withWaitForReady();
    if (config.username() != null) {
      options = options.withCallCredentials(new TokenCredentials(managed,
          config.username(), config.password(), config.requestTimeout()));
    }
    this.callOptions = options;
    this.retryWindowNanos = config.requestTimeout().toNanos();
  }

  /** Builds the channel; it connects on the first call. */
  @SuppressWarnings("deprecation") // nameResolverFactory: the one way to hand a channel a list
  static EtcdKvChannel open(EtcdKvConfig config) {
    List<URI> endpoints = config.endpoints();
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget("etcd:///")
        .nameResolverFactory(new StaticResolverFactory(endpoints))
        .defaultLoadBalancingPolicy("pick_first")
        .directExecutor()
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .maxInboundMessageSize(config.maxResponseBytes());
    if (config.usesTls()) {
      builder.negotiationType(NegotiationType.TLS).sslContext(sslContext(config.tls()));
    } else {
      builder.negotiationType(NegotiationType.PLAINTEXT);
    }
    return new EtcdKvChannel(builder.build(), config);
  }

  private static SslContext sslContext(EtcdKvConfig.Tls tls) {
    SslContextBuilder ssl = GrpcSslContexts.forClient();
    try {
      if (tls != null && tls.caCertPath() != null) {
        ssl.trustManager(tls.caCertPath().toFile());
      }
      if (tls != null && tls.certPath() != null) {
        ssl.keyManager(tls.certPath().toFile(), tls.keyPath().toFile());
      }
      return ssl.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new KvException("cannot load etcd TLS material " + tls + ": " + e.getMessage(), e);
    }
  }

  CompletableFuture<RangeResponse> range(RangeRequest request) {
    return call(KVGrpc.getRangeMethod(), request, true);
  }

  CompletableFuture<PutResponse> put(PutRequest request) {
    return call(KVGrpc.getPutMethod(), request, false);
  }

  CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
    return call(KVGrpc.getDeleteRangeMethod(), request, false);
  }

  /** {@code readOnly}: the transaction only reads, so it may be retried when unavailable. */
  CompletableFuture<TxnResponse> txn(TxnRequest request, boolean readOnly) {
    return call(KVGrpc.getTxnMethod(), request, readOnly);
  }

  boolean isShutdown() {
    return managed.isShutdown();
  }

  @Override
  public void close() {
    managed.shutdownNow();
  }

  private <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request,
      boolean retryUnavailable) {
    CompletableFuture<R> result = new CompletableFuture<>();
    new Attempts<>(method, request, retryUnavailable, result).start();
    return result;
  }

  /** One call and its retries; completes {@code result} with the last attempt's outcome. */
  private final class Attempts<Q, R> implements StreamObserver<R> {
    private final MethodDescriptor<Q, R> method;
    private final Q request;
    private final boolean retryUnavailable;
    private final CompletableFuture<R> result;
    private final long giveUpAt = System.nanoTime() + retryWindowNanos;
    private int retries;
    private R response;

    Attempts(MethodDescriptor<Q, R> method, Q request, boolean retryUnavailable,
        CompletableFuture<R> result) {
      this.method = method;
      this.request = request;
      this.retryUnavailable = retryUnavailable;
      this.result = result;
    }

    void start() {
      response = null;
      try {
        ClientCalls.asyncUnaryCall(channel.newCall(method, callOptions), request, this);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public void onNext(R value) {
      response = value;
    }

    @Override
    public void onCompleted() {
      result.complete(response);
    }

    @Override
    public void onError(Throwable error) {
      Status status = Status.fromThrowable(error);
      boolean tokenRefused = isTokenRefused(status);
      if (tokenRefused && callOptions.getCredentials() instanceof TokenCredentials credentials) {
        credentials.refresh();
      }
      boolean unavailable = retryUnavailable && status.getCode() == Status.Code.UNAVAILABLE;
      if (retries >= MAX_RETRIES || !(tokenRefused || unavailable) || managed.isShutdown()) {
        result.completeExceptionally(error);
        return;
      }
      long delayMillis = Math.min(RETRY_MAX_DELAY_MILLIS, RETRY_DELAY_MILLIS << retries);
      retries++;
      if (tokenRefused) {
        start();
      } else if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis) < giveUpAt) {
        CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS).execute(() -> {
          if (!result.isDone()) {
            start();
          }
        });
      } else {
        result.completeExceptionally(error);
      }
    }
  }

  private static boolean isTokenRefused(Status status) {
    boolean invalidToken = (status.getCode() == Status.Code.UNAUTHENTICATED
        || status.getCode() == Status.Code.UNKNOWN)
        && INVALID_TOKEN.equals(status.getDescription());
    return invalidToken || AUTH_STORE_OLD.equals(status.getDescription());
  }

  /**
   * Puts etcd's auth token on every call, authenticating on first use and after {@link
   * #refresh()}. Authenticate itself goes out on the same channel without a token.
   */
  private static final class TokenCredentials extends CallCredentials {
    private final AuthGrpc.AuthFutureStub auth;
    private final AuthenticateRequest login;
    private final Duration timeout;
    private volatile CompletableFuture<String> token;

    TokenCredentials(Channel channel, String username, String password, Duration timeout) {
      this.auth = AuthGrpc.newFutureStub(channel).withWaitForReady();
      this.timeout = timeout;
      this.login = AuthenticateRequest.newBuilder()
          .setNameBytes(ByteString.copyFrom(username, StandardCharsets.UTF_8))
          .setPasswordBytes(ByteString.copyFrom(password, StandardCharsets.UTF_8))
          .build();
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor,
        MetadataApplier applier) {
      CompletableFuture<String> current = token;
      if (current == null) {
        current = authenticate();
      }
      current.whenComplete((value, error) -> {
        if (error == null) {
          Metadata headers = new Metadata();
          headers.put(TOKEN, value);
          applier.apply(headers);
        } else {
          applier.fail(Status.fromThrowable(error));
        }
      });
    }

    private synchronized CompletableFuture<String> authenticate() {
      if (token != null) {
        return token;
      }
      CompletableFuture<String> fresh = new CompletableFuture<>();
      token = fresh;
      ClientCalls.asyncUnaryCall(
          auth.getChannel().newCall(AuthGrpc.getAuthenticateMethod(), auth.getCallOptions()
              .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)),
          login, new StreamObserver<AuthenticateResponse>() {
            @Override
            public void onNext(AuthenticateResponse response) {
              fresh.complete(response.getToken());
            }

            @Override
            public void onError(Throwable error) {
              fresh.completeExceptionally(error);
              forget(fresh); // a failed login is tried again by the next call
            }

            @Override
            public void onCompleted() {
            }
          });
      return fresh;
    }

    private synchronized void forget(CompletableFuture<String> stale) {
      if (token == stale) {
        token = null;
      }
    }

    /** Drops the token, so that the next call authenticates again. */
    void refresh() {
      CompletableFuture<String> current = token;
      if (current != null && current.isDone()) {
        forget(current);
      }
    }
  }

  /**
   * The configured endpoints, each its own address group so that {@code pick_first} moves to the
   * next when one fails. Names are looked up again whenever the channel asks (after a failure).
   */
  private static final class StaticResolverFactory extends NameResolver.Factory {
    private final List<URI> endpoints;

    StaticResolverFactory(List<URI> endpoints) {
      this.endpoints = endpoints;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      return new NameResolver() {
        private Listener2 listener;

        @Override
        public String getServiceAuthority() {
          URI first = endpoints.get(0);
          return first.getHost() + ":" + first.getPort();
        }

        @Override
        public void start(Listener2 listener) {
          this.listener = listener;
          refresh();
        }

        @Override
        public void refresh() {
          Executor offload = args.getOffloadExecutor();
          Runnable resolve = () -> {
            List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
            for (URI endpoint : endpoints) {
              groups.add(new EquivalentAddressGroup(
                  new InetSocketAddress(endpoint.getHost(), endpoint.getPort()),
                  Attributes.newBuilder()
                      .set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE,
                          endpoint.getHost() + ":" + endpoint.getPort())
                      .build()));
            }
            ResolutionResult result = ResolutionResult.newBuilder()
                .setAddressesOrError(StatusOr.fromValue(groups))
                .build();
            args.getSynchronizationContext().execute(() -> listener.onResult(result));
          };
          if (offload != null) {
            offload.execute(resolve);
          } else {
            resolve.run();
          }
        }

        @Override
        public void shutdown() {
        }
      };
    }

    @Override
    public String getDefaultScheme() {
      return "etcd";
    }
  }
}
