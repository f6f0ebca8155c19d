package io.metasrv.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.metasrv.protocol.KeyValue;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.StoreGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a GreptimeDB datanode reads at start-up (d701c18150 {@code src/datanode/src/datanode.rs}
 * {@code build}, {@code open_all_regions}; {@code src/common/meta/src/range_stream.rs}): every
 * {@code __dn_table/{node_id}/} value, through the metasrv's Store as a prefix Range ({@code
 * range_end} = the prefix with its last byte + 1) in pages of {@value #PAGE_SIZE} keys, the next
 * page starting at the last key + {@code \0} while {@code more} is set; then one region per listed
 * region number.
 */
final class DatanodeTableScan {
  static final int PAGE_SIZE = 1536;
  private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(3);

  /** A {@code __dn_table} value the datanode cannot decode: GreptimeDB's start-up fails. */
  static final class UndecodableValueException extends RuntimeException {
    UndecodableValueException(String key, String reason) {
      super("cannot decode " + key + " as DatanodeTableValue: " + reason);
    }
  }

  private final SimulatedNodes env;
  private final RequestHeader header;
  private final byte[] prefix;

  DatanodeTableScan(SimulatedNodes env, long nodeId, RequestHeader header) {
    this.env = env;
    this.header = header;
    this.prefix = ("__dn_table/" + nodeId + "/").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The regions to open, read from the first metasrv (in configured order) that answers the
   * whole scan; fails when none does, or with {@link UndecodableValueException}.
   */
  CompletableFuture<List<StartupRegion>> regions() {
    return fromFirstAnswering(env.metasrvAddrs().iterator(), null);
  }

  private CompletableFuture<List<StartupRegion>> fromFirstAnswering(Iterator<String> addrs,
      Throwable lastFailure) {
    if (!addrs.hasNext()) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "no metasrv of " + env.metasrvAddrs() + " answered the __dn_table scan", lastFailure));
    }
    String addr = addrs.next();
    return pages(addr, prefix, new ArrayList<>())
        .thenApply(DatanodeTableScan::toRegions)
        .handle((regions, failure) -> failure == null
            ? CompletableFuture.completedFuture(regions)
            : unwrap(failure) instanceof UndecodableValueException undecodable
                ? CompletableFuture.<List<StartupRegion>>failedFuture(undecodable)
                : fromFirstAnswering(addrs, failure))
        .thenCompose(regions -> regions);
  }

  private CompletableFuture<List<KeyValue>> pages(String addr, byte[] start, List<KeyValue> read) {
    RangeRequest request = RangeRequest.newBuilder()
        .setHeader(header)
        .setKey(ByteString.copyFrom(start))
        .setRangeEnd(ByteString.copyFrom(prefixEnd(prefix)))
        .setLimit(PAGE_SIZE)
        .build();
    return completable(StoreGrpc.newFutureStub(env.channel(addr))
            .withCompression("zstd")
            .withDeadlineAfter(PAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .range(request))
        .thenCompose(page -> {
          if (page.getHeader().hasError() && page.getHeader().getError().getCode() != 0) {
            return CompletableFuture.failedFuture(new IllegalStateException(addr
                + " answered the __dn_table scan with " + page.getHeader().getError()));
          }
          read.addAll(page.getKvsList());
          if (!page.getMore() || page.getKvsCount() == 0) {
            return CompletableFuture.completedFuture(read);
          }
          ByteString last = page.getKvs(page.getKvsCount() - 1).getKey();
          return pages(addr, last.concat(ByteString.copyFrom(new byte[] {0})).toByteArray(),
              read);
        });
  }

  private static List<StartupRegion> toRegions(List<KeyValue> values) {
    List<StartupRegion> regions = new ArrayList<>();
    for (KeyValue kv : values) {
      String key = kv.getKey().toStringUtf8();
      JsonNode value;
      try {
        value = SimulatedNode.JSON.readTree(kv.getValue().toByteArray());
      } catch (IOException e) {
        throw new UndecodableValueException(key, e.getMessage());
      }
      for (String field : List.of("table_id", "regions", "engine", "region_storage_path")) {
        if (!value.hasNonNull(field)) {
          throw new UndecodableValueException(key, "missing field `" + field + "`");
        }
      }
      long tableId = value.get("table_id").asLong();
      String engine = value.get("engine").asText();
      String storagePath = value.get("region_storage_path").asText();
      for (JsonNode number : value.get("regions")) {
        long regionNumber = number.asLong();
        Map<String, String> options = new LinkedHashMap<>();
        value.path("region_options").fields()
            .forEachRemaining(option -> options.put(option.getKey(), option.getValue().asText()));
        JsonNode wal = value.path("region_wal_options").get(Long.toString(regionNumber));
        if (wal != null) {
          options.put("wal_options", wal.asText());
        }
        String regionDir = String.format("data/%s/%d/%d_%010d/", storagePath, tableId, tableId,
            regionNumber);
        regions.add(new StartupRegion(SimulatedDatanode.regionId(tableId, regionNumber), engine,
            regionDir, Map.copyOf(options)));
      }
    }
    return regions;
  }

  private static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    end[end.length - 1]++;
    return end;
  }

  static Throwable unwrap(Throwable failure) {
    while (failure instanceof java.util.concurrent.CompletionException
        && failure.getCause() != null) {
      failure = failure.getCause();
    }
    return failure;
  }

  static <T> CompletableFuture<T> completable(ListenableFuture<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Futures.addCallback(future, new FutureCallback<T>() {
      @Override
      public void onSuccess(T value) {
        result.complete(value);
      }

      @Override
      public void onFailure(Throwable t) {
        result.completeExceptionally(t);
      }
    }, MoreExecutors.directExecutor());
    return result;
  }
}
