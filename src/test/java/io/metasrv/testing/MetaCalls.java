package io.metasrv.testing;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.metasrv.cluster.ClusterKeys;
import io.metasrv.kv.Bytes;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.protocol.ClusterGrpc;
import io.metasrv.protocol.MigrateRegionRequest;
import io.metasrv.protocol.MigrateRegionResponse;
import io.metasrv.protocol.ProcedureId;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.ProcedureStateResponse;
import io.metasrv.protocol.PutRequest;
import io.metasrv.protocol.QueryProcedureRequest;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RangeResponse;
import io.metasrv.protocol.RequestHeader;
import io.metasrv.protocol.Role;
import io.metasrv.protocol.StoreGrpc;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a GreptimeDB frontend or tool asks of metasrv over gRPC in the procedure tests: writes a
 * table's metadata through Store, starts a migration, queries a procedure, reads a route back.
 * Each call opens its own channel, so a dead node only fails the call made to it.
 */
public final class MetaCalls {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** The table's engine, storage path and WAL options, as {@code __dn_table} holds them. */
  public static final RegionInfo REGION_INFO = new RegionInfo("mito2", "greptime/public",
      Map.of(), Map.of());

  private MetaCalls() {}

  /**
   * Writes table {@code tableId} ("greptime.public.t{id}"): table info, the route, and the
   * {@code __dn_table} values of the leaders.
   */
  public static void writeTable(String addr, long tableId, List<RegionRoute> routes) {
    String info = "{\"version\":0,\"table_info\":{\"ident\":{\"table_id\":" + tableId
        + ",\"version\":0},\"name\":\"t" + tableId + "\",\"desc\":null,"
        + "\"catalog_name\":\"greptime\",\"schema_name\":\"public\",\"meta\":{"
        + "\"engine\":\"mito\",\"region_numbers\":[]},\"table_type\":\"Base\"}}";
    put(addr, new TableInfoKey(tableId).toBytes(), info.getBytes(StandardCharsets.UTF_8));
    put(addr, new TableRouteKey(tableId).toBytes(), PhysicalTableRouteValue.of(routes).encode());
    routes.stream().map(route -> route.leaderPeer().id()).distinct().forEach(datanode -> put(
        addr, new DatanodeTableKey(datanode, tableId).toBytes(),
        DatanodeTableValue.of(tableId, routes.stream()
            .filter(route -> route.ledBy(datanode))
            .map(route -> route.regionId() & 0xFFFF_FFFFL).toList(), REGION_INFO).encode()));
  }

  public static void put(String addr, byte[] key, byte[] value) {
    call(addr, channel -> StoreGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .put(PutRequest.newBuilder().setHeader(header())
            .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value)).build()));
  }

  /** The table's physical route as stored. */
  public static PhysicalTableRouteValue route(String addr, long tableId) {
    return (PhysicalTableRouteValue) TableRouteValue.decode(
        get(addr, new TableRouteKey(tableId).toBytes()).orElseThrow());
  }

  /** The value under {@code key}, as a frontend reads one key: a Range with the key alone. */
  public static Optional<byte[]> get(String addr, byte[] key) {
    RangeResponse response = call(addr, channel -> StoreGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setHeader(header())
            .setKey(ByteString.copyFrom(key)).build()));
    return response.getKvsCount() == 0 ? Optional.empty()
        : Optional.of(response.getKvs(0).getValue().toByteArray());
  }

  /** How many keys the store holds under {@code prefix}. */
  public static int count(String addr, String prefix) {
    return keys(addr, prefix).size();
  }

  /** The keys (as text) the store holds under {@code prefix}, in key order. */
  public static List<String> keys(String addr, String prefix) {
    byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
    return call(addr, channel -> StoreGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setHeader(header())
            .setKey(ByteString.copyFrom(start))
            .setRangeEnd(ByteString.copyFrom(Bytes.prefixEnd(start))).setKeysOnly(true).build()))
        .getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }

  /**
   * How many datanode leases the leader's cluster view holds ({@code Cluster.Range}): a new
   * leader's view starts empty and fills as the datanodes' heartbeats reach it, and until then
   * its selector finds too few datanodes for a new table.
   */
  public static int datanodeLeaseCount(String addr) {
    byte[] prefix = ClusterKeys.datanodeLeasePrefix();
    return call(addr, channel -> ClusterGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setHeader(header())
            .setKey(ByteString.copyFrom(prefix))
            .setRangeEnd(ByteString.copyFrom(Bytes.prefixEnd(prefix))).setKeysOnly(true).build()))
        .getKvsCount();
  }

  /** {@code ProcedureService.migrate}; the procedure id, empty when nothing is to be done. */
  public static Optional<String> migrate(String addr, long regionId, long from, long to,
      int timeoutSecs) {
    MigrateRegionResponse response = call(addr, channel -> ProcedureServiceGrpc
        .newBlockingStub(channel).withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .migrate(MigrateRegionRequest.newBuilder().setHeader(header()).setRegionId(regionId)
            .setFromPeer(from).setToPeer(to).setTimeoutSecs(timeoutSecs).build()));
    if (response.getHeader().hasError()) {
      throw new IllegalStateException("migrate answered " + response.getHeader().getError());
    }
    return response.hasPid() ? Optional.of(response.getPid().getKey().toStringUtf8())
        : Optional.empty();
  }

  /** {@code ProcedureService.query}. */
  public static ProcedureStateResponse query(String addr, String procedureId) {
    return call(addr, channel -> ProcedureServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .query(QueryProcedureRequest.newBuilder().setHeader(header())
            .setPid(ProcedureId.newBuilder().setKey(ByteString.copyFromUtf8(procedureId)))
            .build()));
  }

  public static RequestHeader header() {
    return RequestHeader.newBuilder().setProtocolVersion(1).setRole(Role.DATANODE).build();
  }

  private static <T> T call(String addr, java.util.function.Function<ManagedChannel, T> call) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(addr).usePlaintext().build();
    try {
      return call.apply(channel);
    } finally {
      channel.shutdownNow();
    }
  }
}
