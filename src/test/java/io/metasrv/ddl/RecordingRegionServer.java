package io.metasrv.ddl;

import com.google.protobuf.ByteString;
import io.metasrv.metadata.Peer;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.v1.ResponseHeader;
import io.metasrv.protocol.v1.Status;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A region server in the test: records every request with its peer, answers success, or fails
 * the next requests with the kinds it was told, or holds requests until released.
 */
final class RecordingRegionServer implements RegionServer {
  record Received(Peer peer, RegionRequest request) {}

  final List<Received> received = new CopyOnWriteArrayList<>();
  private final Queue<RegionServerException.Kind> failures = new ArrayDeque<>();
  private final Map<String, ByteString> extensions = new ConcurrentHashMap<>();
  private volatile CountDownLatch gate;
  private volatile CountDownLatch entered;

  /** The next {@code times} requests fail with {@code kind}. */
  synchronized RecordingRegionServer failNext(RegionServerException.Kind kind, int times) {
    for (int i = 0; i < times; i++) {
      failures.add(kind);
    }
    return this;
  }

  /** Successful answers carry this extension from now on (the metric engine's ALTER_PHYSICAL). */
  RecordingRegionServer answerWithExtension(String key, String value) {
    extensions.put(key, ByteString.copyFromUtf8(value));
    return this;
  }

  /** Requests wait for {@code gate}; {@code entered} counts down when one arrives. */
  void holdUntil(CountDownLatch entered, CountDownLatch gate) {
    this.entered = entered;
    this.gate = gate;
  }

  @Override
  public CompletableFuture<RegionResponse> handle(Peer peer, RegionRequest request) {
    received.add(new Received(peer, request));
    RegionServerException.Kind failure;
    synchronized (this) {
      failure = failures.poll();
    }
    if (failure != null) {
      int code = switch (failure) {
        case REGION_NOT_FOUND -> 4005;
        case REQUEST_OUTDATED -> 5001;
        case FAILED -> 4006;
        case RETRYABLE -> 0;
      };
      return CompletableFuture.failedFuture(
          new RegionServerException(failure, peer, code, "told to fail with " + failure, null));
    }
    CountDownLatch waitFor = gate;
    if (waitFor != null) {
      return CompletableFuture.supplyAsync(() -> {
        entered.countDown();
        try {
          waitFor.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return ok();
      });
    }
    return CompletableFuture.completedFuture(ok());
  }

  List<RegionRequest> requests(RegionRequest.BodyCase kind) {
    return received.stream().map(Received::request)
        .filter(request -> request.getBodyCase() == kind).toList();
  }

  private RegionResponse ok() {
    return RegionResponse.newBuilder().setHeader(ResponseHeader.newBuilder()
        .setStatus(Status.newBuilder().setStatusCode(0))).putAllExtensions(extensions).build();
  }
}
