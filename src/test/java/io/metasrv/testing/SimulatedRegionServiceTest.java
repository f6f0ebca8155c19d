package io.metasrv.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.metasrv.protocol.HeartbeatRequest;
import io.metasrv.protocol.RangeRequest;
import io.metasrv.protocol.RegionRole;
import io.metasrv.protocol.RegionStat;
import io.metasrv.protocol.region.AddColumn;
import io.metasrv.protocol.region.AddColumns;
import io.metasrv.protocol.region.AlterRequest;
import io.metasrv.protocol.region.DropColumn;
import io.metasrv.protocol.region.DropColumns;
import io.metasrv.protocol.region.RegionColumnDef;
import io.metasrv.protocol.v1.AddColumnLocation;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.region.CloseRequest;
import io.metasrv.protocol.region.CreateRequest;
import io.metasrv.protocol.region.DropRequest;
import io.metasrv.protocol.region.OpenRequest;
import io.metasrv.protocol.region.RegionGrpc;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.region.RegionRequestHeader;
import io.metasrv.protocol.region.RegionResponse;
import io.metasrv.protocol.region.TruncateRequest;
import io.metasrv.server.MetasrvServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulated datanode's Region service on the wire (a plain grpc-java client, so that what is
 * checked is the encoding, not our region client's reading of it) and its start-up from {@code
 * __dn_table}, against the fake metasrv and once against the real server's Store.
 */
class SimulatedRegionServiceTest {
  private static final long TABLE = 1024;
  private static final long REGION_0 = SimulatedDatanode.regionId(TABLE, 0);
  private static final long REGION_1 = SimulatedDatanode.regionId(TABLE, 1);
  /** The reference's __dn_table value (G key/datanode_table.rs shape), for table 1024 on node 1. */
  private static final String DN_TABLE_1024 = "{\"table_id\":1024,\"regions\":[0],"
      + "\"engine\":\"mito\",\"region_storage_path\":\"greptime/public\",\"region_options\":{},"
      + "\"region_wal_options\":{\"0\":\"{\\\"wal.provider\\\":\\\"raft_engine\\\"}\"},"
      + "\"version\":0}";
  private static final Metadata.Key<String> ERROR_CODE = RegionFault.GREPTIME_ERROR_CODE;

  private final FakeMonotonicClock clock = new FakeMonotonicClock();

  @TempDir Path dir;

  @Test
  void answersStatusZeroAndCarriesOutTheRegionLifecycle() throws Exception {
    try (SimulatedNodes nodes = new SimulatedNodes(List.of("127.0.0.1:1"), clock)) {
      SimulatedDatanode datanode = nodes.servingDatanode(1);
      try (PlainRegionClient region = new PlainRegionClient(datanode.addr())) {
        RegionResponse created = region.handle(create(REGION_0));
        assertThat(created.getHeader().getStatus().getStatusCode()).isZero();
        assertThat(created.getAffectedRows()).isZero();
        assertThat(datanode.role(REGION_0)).as("mito creates a writable leader")
            .contains(RegionRole.Leader);
        region.handle(create(REGION_0));
        assertThat(datanode.openRegions()).as("create again is a no-op").containsExactly(REGION_0);

        region.handle(withHeader(RegionRequest.newBuilder().setAlter(
            AlterRequest.newBuilder().setRegionId(REGION_0).setSchemaVersion(0))));
        region.handle(withHeader(RegionRequest.newBuilder().setTruncate(
            TruncateRequest.newBuilder().setRegionId(REGION_0))));
        region.handle(withHeader(RegionRequest.newBuilder().setClose(
            CloseRequest.newBuilder().setRegionId(REGION_0))));
        assertThat(datanode.isOpen(REGION_0)).isFalse();
        region.handle(withHeader(RegionRequest.newBuilder().setOpen(
            OpenRequest.newBuilder().setRegionId(REGION_0).setEngine("mito"))));
        assertThat(datanode.role(REGION_0)).as("opened, not led").contains(RegionRole.Follower);
        region.handle(withHeader(RegionRequest.newBuilder().setDrop(
            DropRequest.newBuilder().setRegionId(REGION_0))));
        assertThat(datanode.isOpen(REGION_0)).isFalse();

        assertThat(datanode.regionRequests()).extracting(RegionRequest::getBodyCase)
            .containsExactly(RegionRequest.BodyCase.CREATE, RegionRequest.BodyCase.CREATE,
                RegionRequest.BodyCase.ALTER, RegionRequest.BodyCase.TRUNCATE,
                RegionRequest.BodyCase.CLOSE, RegionRequest.BodyCase.OPEN,
                RegionRequest.BodyCase.DROP);
        assertThat(datanode.regionRequestEncodings()).containsOnly("identity");
      }
    }
  }

  @Test
  void altersAddColumnsAtTheirLocationAndDropThemAtTheNextSchemaVersion() throws Exception {
    try (SimulatedNodes nodes = new SimulatedNodes(List.of("127.0.0.1:1"), clock)) {
      SimulatedDatanode datanode = nodes.servingDatanode(1);
      try (PlainRegionClient region = new PlainRegionClient(datanode.addr())) {
        CreateRequest.Builder create = CreateRequest.newBuilder().setRegionId(REGION_0)
            .setEngine("mito").setPath("greptime/public");
        for (String name : List.of("ts", "host", "cpu")) {
          create.addColumnDefs(RegionColumnDef.newBuilder()
              .setColumnDef(ColumnDef.newBuilder().setName(name)));
        }
        region.handle(withHeader(RegionRequest.newBuilder().setCreate(create)));
        assertThat(datanode.columns(REGION_0)).containsExactly("ts", "host", "cpu");

        region.handle(withHeader(RegionRequest.newBuilder().setAlter(AlterRequest.newBuilder()
            .setRegionId(REGION_0).setSchemaVersion(0).setAddColumns(AddColumns.newBuilder()
                .addAddColumns(addColumn("dc", AddColumnLocation.newBuilder()
                    .setLocationType(AddColumnLocation.LocationType.FIRST)))
                .addAddColumns(addColumn("mem", AddColumnLocation.newBuilder()
                    .setLocationType(AddColumnLocation.LocationType.AFTER)
                    .setAfterColumnName("host")))
                .addAddColumns(addColumn("disk", null))))));
        assertThat(datanode.columns(REGION_0))
            .containsExactly("dc", "ts", "host", "mem", "cpu", "disk");

        region.handle(withHeader(RegionRequest.newBuilder().setAlter(AlterRequest.newBuilder()
            .setRegionId(REGION_0).setSchemaVersion(1).setDropColumns(DropColumns.newBuilder()
                .addDropColumns(DropColumn.newBuilder().setName("cpu"))))));
        assertThat(datanode.columns(REGION_0)).containsExactly("dc", "ts", "host", "mem", "disk");
      }
    }
  }

  private static AddColumn.Builder addColumn(String name, AddColumnLocation.Builder location) {
    AddColumn.Builder add = AddColumn.newBuilder().setColumnDef(RegionColumnDef.newBuilder()
        .setColumnDef(ColumnDef.newBuilder().setName(name)));
    return location == null ? add : add.setLocation(location);
  }

  @Test
  void refusalsAreGrpcErrorsWithGreptimeDbsStatusCode() throws Exception {
    try (SimulatedNodes nodes = new SimulatedNodes(List.of("127.0.0.1:1"), clock)) {
      SimulatedDatanode datanode = nodes.servingDatanode(1);
      try (PlainRegionClient region = new PlainRegionClient(datanode.addr())) {
        assertRefused(() -> region.handle(withHeader(RegionRequest.newBuilder().setDrop(
                DropRequest.newBuilder().setRegionId(REGION_0)))),
            Status.Code.NOT_FOUND, "4005", "Region " + REGION_0 + " not found");
        assertRefused(() -> region.handle(RegionRequest.newBuilder().setCreate(
                CreateRequest.newBuilder().setRegionId(REGION_0)).build()),
            Status.Code.INVALID_ARGUMENT, "1004", "Expecting non-empty region request header.");
        assertThat(datanode.isOpen(REGION_0)).isFalse();

        region.handle(create(REGION_0));
        assertRefused(() -> region.handle(withHeader(RegionRequest.newBuilder().setAlter(
                AlterRequest.newBuilder().setRegionId(REGION_0).setSchemaVersion(3)))),
            Status.Code.INVALID_ARGUMENT, "5001", "schema version 0");

        datanode.failNextRegionRequests(2, RegionFault.error(4009, "region busy"));
        assertRefused(() -> region.handle(create(REGION_1)), Status.Code.RESOURCE_EXHAUSTED,
            "4009", "region busy");
        assertRefused(() -> region.handle(create(REGION_1)), Status.Code.RESOURCE_EXHAUSTED,
            "4009", "region busy");
        region.handle(create(REGION_1));
        assertThat(datanode.openRegions()).containsExactly(REGION_0, REGION_1);

        datanode.failRegionRequests(RegionFault.unavailable());
        for (int i = 0; i < 3; i++) {
          assertThatThrownBy(() -> region.handle(create(REGION_1)))
              .isInstanceOfSatisfying(StatusRuntimeException.class, failure -> {
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(failure.getTrailers().get(ERROR_CODE)).isNull();
              });
        }
        datanode.healRegionRequests();
        region.handle(create(REGION_1));
      }
    }
  }

  /** A created region is a leader the datanode reports in its next heartbeat, as mito's. */
  @Test
  void aCreatedRegionIsReportedAsALeaderInHeartbeats() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      SimulatedDatanode datanode = nodes.servingDatanode(1).withManualHeartbeats();
      datanode.start().get(10, TimeUnit.SECONDS);
      try (PlainRegionClient region = new PlainRegionClient(datanode.addr())) {
        region.handle(create(REGION_0));
      }
      datanode.heartbeatNow().get(10, TimeUnit.SECONDS);
      HeartbeatRequest beat = metasrv.lastRequest();
      assertThat(beat.getPeer().getAddr()).isEqualTo(datanode.addr());
      assertThat(beat.getRegionStatsList()).extracting(RegionStat::getRegionId,
              RegionStat::getRole, RegionStat::getEngine)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(REGION_0, RegionRole.Leader,
              "mito"));
    }
  }

  /**
   * Start-up pages through {@code __dn_table/1/} as GreptimeDB's range stream does, leaving out
   * node 10's keys (which the prefix's end, {@code __dn_table/10}, excludes) and opens every
   * listed region as a follower before the first heartbeat.
   */
  @Test
  void startUpOpensTheRegionsOfEveryPageOfItsDatanodeTableKeys() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      int tables = DatanodeTableScan.PAGE_SIZE + 10;
      for (int table = 2000; table < 2000 + tables; table++) {
        metasrv.kvs.put("__dn_table/1/" + table, "{\"table_id\":" + table + ",\"regions\":[0,3],"
            + "\"engine\":\"mito\",\"region_storage_path\":\"greptime/public\","
            + "\"region_options\":{\"ttl\":\"7d\"},\"region_wal_options\":{},\"version\":0}");
      }
      metasrv.kvs.put("__dn_table/1/1024", DN_TABLE_1024);
      metasrv.kvs.put("__dn_table/10/1025", DN_TABLE_1024.replace("1024", "1025"));
      metasrv.kvs.put("__dn_table/2/1026", DN_TABLE_1024.replace("1024", "1026"));

      SimulatedDatanode datanode = nodes.servingDatanode(1).withManualHeartbeats();
      datanode.start().get(20, TimeUnit.SECONDS);

      assertThat(metasrv.ranges).hasSize(2);
      RangeRequest first = metasrv.ranges.get(0);
      assertThat(first.getKey().toStringUtf8()).isEqualTo("__dn_table/1/");
      assertThat(first.getRangeEnd().toStringUtf8()).isEqualTo("__dn_table/10");
      assertThat(first.getLimit()).isEqualTo(1536);
      assertThat(first.getHeader().getMemberId()).isEqualTo(1);
      String lastOfFirstPage = new ArrayList<>(metasrv.kvs.subMap("__dn_table/1/", "__dn_table/10")
          .keySet()).get(1535);
      assertThat(metasrv.ranges.get(1).getKey().toString(StandardCharsets.UTF_8))
          .isEqualTo(lastOfFirstPage + "\0");

      assertThat(datanode.startupRegions()).hasSize(2 * tables + 1);
      assertThat(datanode.openRegions()).hasSize(2 * tables + 1)
          .contains(REGION_0, SimulatedDatanode.regionId(2000, 3))
          .doesNotContain(SimulatedDatanode.regionId(1025, 0),
              SimulatedDatanode.regionId(1026, 0));
      assertThat(datanode.openRegions()).allMatch(
          region -> datanode.role(region).orElseThrow() == RegionRole.Follower);
      assertThat(datanode.startupRegions()).contains(
          new StartupRegion(REGION_0, "mito", "data/greptime/public/1024/1024_0000000000/",
              Map.of("wal_options", "{\"wal.provider\":\"raft_engine\"}")),
          new StartupRegion(SimulatedDatanode.regionId(2000, 3), "mito",
              "data/greptime/public/2000/2000_0000000003/", Map.of("ttl", "7d")));
    }
  }

  @Test
  void anUndecodableDatanodeTableValueFailsTheStart() throws Exception {
    try (FakeHeartbeatServer metasrv = new FakeHeartbeatServer();
        SimulatedNodes nodes = new SimulatedNodes(List.of(metasrv.addr), clock)) {
      metasrv.kvs.put("__dn_table/1/1024", "{\"table_id\":1024}");
      SimulatedDatanode datanode = nodes.servingDatanode(1).withManualHeartbeats();
      assertThatThrownBy(() -> datanode.start().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("cannot decode __dn_table/1/1024 as DatanodeTableValue: "
              + "missing field `regions`");
      assertThat(metasrv.requests).as("no heartbeat").isEmpty();
    }
  }

  /**
   * Against the real server's Store: the golden values written, a datanode that created a region
   * the metadata never recorded is restarted on the same address and opens exactly the regions
   * its {@code __dn_table} values list.
   */
  @Test
  void aRestartedDatanodeOpensExactlyItsDatanodeTableRegionsFromTheRealStore() throws Exception {
    try (MetasrvServer server = InProcessMetasrv.startLeading(dir.resolve("home"));
        SimulatedNodes nodes = new SimulatedNodes(List.of(InProcessMetasrv.addr(server)), clock)) {
      String metasrvAddr = InProcessMetasrv.addr(server);
      MetaCalls.put(metasrvAddr, utf8("__dn_table/1/1024"), utf8(DN_TABLE_1024));
      MetaCalls.put(metasrvAddr, utf8("__dn_table/1/1025"), utf8(
          "{\"table_id\":1025,\"regions\":[1,2],\"engine\":\"metric\","
              + "\"region_storage_path\":\"greptime/db1\",\"region_options\":{},"
              + "\"region_wal_options\":{\"1\":\"{\\\"wal.provider\\\":\\\"noop\\\"}\"},"
              + "\"version\":0}"));
      MetaCalls.put(metasrvAddr, utf8("__dn_table/2/1026"), utf8(
          DN_TABLE_1024.replace("1024", "1026")));

      SimulatedDatanode first = nodes.servingDatanode(1).withManualHeartbeats();
      first.start().get(10, TimeUnit.SECONDS);
      try (PlainRegionClient region = new PlainRegionClient(first.addr())) {
        region.handle(create(SimulatedDatanode.regionId(1027, 0)));
      }

      SimulatedDatanode restarted = nodes.restart(first).withManualHeartbeats();
      assertThat(restarted.addr()).isEqualTo(first.addr());
      assertThat(restarted.start().get(10, TimeUnit.SECONDS)).isEqualTo(metasrvAddr);

      assertThat(restarted.openRegions()).containsExactly(REGION_0,
          SimulatedDatanode.regionId(1025, 1), SimulatedDatanode.regionId(1025, 2));
      assertThat(restarted.startupRegions()).containsExactly(
          new StartupRegion(REGION_0, "mito", "data/greptime/public/1024/1024_0000000000/",
              Map.of("wal_options", "{\"wal.provider\":\"raft_engine\"}")),
          new StartupRegion(SimulatedDatanode.regionId(1025, 1), "metric",
              "data/greptime/db1/1025/1025_0000000001/",
              Map.of("wal_options", "{\"wal.provider\":\"noop\"}")),
          new StartupRegion(SimulatedDatanode.regionId(1025, 2), "metric",
              "data/greptime/db1/1025/1025_0000000002/", Map.of()));
      assertThat(restarted.openRegions()).allMatch(
          region -> !restarted.isWritable(region));
    }
  }

  /**
   * A hundred serving datanodes in one JVM: each binds its own port, all on one shared event
   * loop thread and the shared pool. The figures are printed, not asserted, but the threads are.
   */
  @Test
  void aHundredServingDatanodesShareTheirThreads() throws Exception {
    try (SimulatedNodes nodes = new SimulatedNodes(List.of("127.0.0.1:1"), clock)) {
      nodes.servingDatanode(0);
      int threadsBefore = Thread.activeCount();
      long start = System.nanoTime();
      List<SimulatedDatanode> datanodes = new ArrayList<>();
      for (int id = 1; id <= 100; id++) {
        datanodes.add(nodes.servingDatanode(id));
      }
      long bound = System.nanoTime() - start;
      int threadsAfter = Thread.activeCount();
      PlainRegionClient[] clients = new PlainRegionClient[datanodes.size()];
      start = System.nanoTime();
      try {
        for (int i = 0; i < datanodes.size(); i++) {
          clients[i] = new PlainRegionClient(datanodes.get(i).addr());
          clients[i].handle(create(REGION_0));
        }
        long answered = System.nanoTime() - start;
        System.out.printf("100 serving datanodes: bound in %d ms, %d threads added; first create"
                + " on each answered in %d ms%n", bound / 1_000_000, threadsAfter - threadsBefore,
            answered / 1_000_000);
      } finally {
        for (PlainRegionClient client : clients) {
          if (client != null) {
            client.close();
          }
        }
      }
      assertThat(threadsAfter - threadsBefore).as("servers share the loop").isLessThan(5);
      assertThat(datanodes).allMatch(datanode -> datanode.isWritable(REGION_0));
    }
  }

  private static void assertRefused(Runnable call, Status.Code code, String statusCode,
      String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class,
        failure -> {
          assertThat(failure.getStatus().getCode()).isEqualTo(code);
          assertThat(failure.getStatus().getDescription()).contains(message);
          assertThat(failure.getTrailers().get(ERROR_CODE)).isEqualTo(statusCode);
        });
  }

  private static RegionRequest create(long regionId) {
    return withHeader(RegionRequest.newBuilder().setCreate(CreateRequest.newBuilder()
        .setRegionId(regionId).setEngine("mito").setPath("greptime/public")));
  }

  private static RegionRequest withHeader(RegionRequest.Builder request) {
    return request.setHeader(RegionRequestHeader.getDefaultInstance()).build();
  }

  /** grpc-java's own client, uncompressed: what is checked is the wire, not our reading of it. */
  private static final class PlainRegionClient implements AutoCloseable {
    private final ManagedChannel channel;

    PlainRegionClient(String addr) {
      channel = NettyChannelBuilder.forTarget(addr).usePlaintext().build();
    }

    RegionResponse handle(RegionRequest request) {
      return RegionGrpc.newBlockingStub(channel).handle(request);
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

}
