package io.metasrv.grpc;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.metasrv.config.DatanodeOptions;
import io.metasrv.ddl.RegionServer;
import io.metasrv.ddl.RegionServerException;
import io.metasrv.ddl.RegionServerException.Kind;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.region.RegionGrpc;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionRequestHeader;
import io.metasrv.protocol.region.RegionResponse;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RegionServer} over gRPC: {@code /greptime.v1.region.Region/Handle} on the datanode's
 * address, as GreptimeDB's {@code RegionRequester} calls it (d701c18150 {@code
 * src/client/src/region.rs}, {@code client.rs} {@code raw_region_client}).
 *
 * <p>One channel per datanode, kept while its address stays the same; a datanode that comes
 * back on another address gets a new channel and the old one is shut down. Channels take the
 * {@code [datanode.client]} options: each request's deadline is {@code timeout}, connections
 * time out after {@code connect_timeout}, {@code TCP_NODELAY} as configured. Requests are sent
 * zstd-compressed and zstd or gzip replies are read, as GreptimeDB's client does.
 *
 * <p>Failures are mapped as GreptimeDB's DDL procedures read them: the datanode's StatusCode
 * comes from {@code x-greptime-err-code} (Unknown, 1000, when absent or not a number), and is
 * checked first, as the procedures check {@code status_code()} before retryability:
 * RegionNotFound (4005) and RequestOutdated (5001) get their own kinds; then gRPC Unavailable,
 * DeadlineExceeded, Unknown and Cancelled are retryable; anything else fails. A reply with gRPC
 * OK whose header is missing, or whose status code is not 0, is a failure with that code.
 */
public final class DatanodeRegionClient implements RegionServer, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DatanodeRegionClient.class);
  static final Metadata.Key<String> GREPTIME_ERROR_MESSAGE =
      Metadata.Key.of("x-greptime-err-msg", Metadata.ASCII_STRING_MARSHALLER);
  private static final int UNKNOWN = 1000;
  private static final int INTERNAL = 1003;
  private static final int REGION_NOT_FOUND = 4005;
  private static final int REQUEST_OUTDATED = 5001;
  private static final Set<Status.Code> RETRYABLE = Set.of(Status.Code.UNAVAILABLE,
      Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN, Status.Code.CANCELLED);

  private final DatanodeOptions.Client options;
  private final Map<Long, PeerChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record PeerChannel(String addr, ManagedChannel channel) {}

  public DatanodeRegionClient(DatanodeOptions.Client options) {
    this.options = options;
  }

  @Override
  public CompletableFuture<RegionResponse> handle(Peer peer, RegionRequest request) {
    CompletableFuture<RegionResponse> answer = new CompletableFuture<>();
    if (closed) {
      answer.completeExceptionally(new IllegalStateException("region client is closed"));
      return answer;
    }
    // The datanode refuses a request without a header ("Expecting non-empty region request
    // header."), so an empty one is always sent.
    RegionRequest withHeader = request.hasHeader() ? request
        : request.toBuilder().setHeader(RegionRequestHeader.getDefaultInstance()).build();
    ManagedChannel channel;
    try {
      channel = channel(peer);
    } catch (IllegalArgumentException | IllegalStateException e) {
      answer.completeExceptionally(new RegionServerException(Kind.FAILED, peer, UNKNOWN,
          "no channel to this address: " + e.getMessage(), e));
      return answer;
    }
    Futures.addCallback(
        RegionGrpc.newFutureStub(channel)
            .withCompression(ZstdCodec.ENCODING)
            .withDeadlineAfter(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
            .handle(withHeader),
        new FutureCallback<RegionResponse>() {
          @Override
          public void onSuccess(RegionResponse response) {
            if (!response.hasHeader() || !response.getHeader().hasStatus()) {
              answer.completeExceptionally(new RegionServerException(Kind.FAILED, peer, INTERNAL,
                  "either response header or status is missing", null));
              return;
            }
            int code = response.getHeader().getStatus().getStatusCode();
            if (code == 0) {
              answer.complete(response);
              return;
            }
            answer.completeExceptionally(new RegionServerException(byCode(code, Kind.FAILED),
                peer, code, response.getHeader().getStatus().getErrMsg() + " (status " + code
                + ")", null));
          }

          @Override
          public void onFailure(Throwable failure) {
            answer.completeExceptionally(failed(peer, failure));
          }
        },
        MoreExecutors.directExecutor());
    return answer;
  }

  /** The failure of a call that ended with a gRPC error status. */
  static RegionServerException failed(Peer peer, Throwable failure) {
    Status status = Status.fromThrowable(failure);
    Metadata trailers = Status.trailersFromThrowable(failure);
    int code = UNKNOWN;
    String message = status.getDescription();
    if (trailers != null) {
      code = parseCode(trailers.get(FailureStatus.GREPTIME_ERROR_CODE));
      String greptimeMessage = trailers.get(GREPTIME_ERROR_MESSAGE);
      if (greptimeMessage != null) {
        message = greptimeMessage;
      }
    }
    Kind kind = byCode(code,
        RETRYABLE.contains(status.getCode()) ? Kind.RETRYABLE : Kind.FAILED);
    return new RegionServerException(kind, peer, code,
        status.getCode() + ": " + message + " (status " + code + ")", failure);
  }

  private static Kind byCode(int code, Kind otherwise) {
    return switch (code) {
      case REGION_NOT_FOUND -> Kind.REGION_NOT_FOUND;
      case REQUEST_OUTDATED -> Kind.REQUEST_OUTDATED;
      default -> otherwise;
    };
  }

  private static int parseCode(String text) {
    if (text == null) {
      return UNKNOWN;
    }
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      return UNKNOWN;
    }
  }

  /** The channel to the peer's current address. */
  ManagedChannel channel(Peer peer) {
    PeerChannel current = channels.compute(peer.id(), (id, existing) -> {
      if (closed) {
        throw new IllegalStateException("region client is closed");
      }
      if (existing != null && existing.addr().equals(peer.addr())) {
        return existing;
      }
      if (existing != null) {
        log.info("datanode {} moved: addr={} (was {}), new region channel", id, peer.addr(),
            existing.addr());
        existing.channel().shutdown();
      }
      return new PeerChannel(peer.addr(), open(peer.addr()));
    });
    return current.channel();
  }

  private ManagedChannel open(String addr) {
    return NettyChannelBuilder.forTarget(addr)
        .usePlaintext()
        // A reply only completes its future, which the procedure's thread waits on: handing it
        // to grpc's shared executor first would add a thread wake-up to every call's critical
        // path.
        .directExecutor()
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
        .withOption(ChannelOption.TCP_NODELAY, options.tcpNodelay())
        .compressorRegistry(MessageCompression.compressors())
        .decompressorRegistry(MessageCompression.decompressors())
        .build();
  }

  /** How many datanodes this client holds a channel to. */
  int channelCount() {
    return channels.size();
  }

  /** Shuts every channel down; requests still in flight are cancelled. */
  @Override
  public void close() {
    closed = true;
    channels.values().forEach(peerChannel -> peerChannel.channel().shutdownNow());
    try {
      for (PeerChannel peerChannel : channels.values()) {
        peerChannel.channel().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channels.clear();
  }
}
