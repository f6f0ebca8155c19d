package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.metasrv.metadata.DatanodeTableKey;
import io.metasrv.metadata.DatanodeTableValue;
import io.metasrv.metadata.LogicalTableRouteValue;
import io.metasrv.metadata.NodeAddressKey;
import io.metasrv.metadata.NodeAddressValue;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableInfoValue;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.metadata.TableRouteKey;
import io.metasrv.metadata.TableRouteValue;
import io.metasrv.protocol.AlterTableTask;
import io.metasrv.protocol.DdlTaskRequest;
import io.metasrv.protocol.DdlTaskResponse;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.region.RegionRequest;
import io.metasrv.protocol.v1.AddColumn;
import io.metasrv.protocol.v1.AddColumnLocation;
import io.metasrv.protocol.v1.AddColumns;
import io.metasrv.protocol.v1.AlterTableExpr;
import io.metasrv.protocol.v1.ColumnDataType;
import io.metasrv.protocol.v1.ColumnDef;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.RegionFault;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import io.metasrv.testing.StartupRegion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DDL across three {@code metasrv start} processes on a real etcd with three simulated
 * datanodes serving {@code Region/Handle}: a client sends tasks to {@code ProcedureService.ddl}
 * as GreptimeDB's frontend builds them and reads the metadata back over {@code Store} as a
 * frontend does ({@code __table_name} → {@code __table_info} → {@code __table_route} → {@code
 * __node_address}); a leader killed while a create or a drop waits on the datanodes is succeeded
 * by one that finishes it once; a restarted datanode opens exactly its regions from {@code
 * __dn_table}; the metric engine's logical tables are created in a physical table's regions and
 * dropped again.
 */
class DdlIT {
  private static final Duration SLOW = Duration.ofSeconds(90);
  /** {@code PARTITION ON COLUMNS (host) (host < 'g', host >= 'g' AND host < 'p', host >= 'p')}. */
  private static final String[] HOST_PARTITIONS = {
      bound("{\"Column\":\"host\"}", "Lt", "{\"Value\":{\"String\":\"g\"}}"),
      bound(bound("{\"Column\":\"host\"}", "GtEq", "{\"Value\":{\"String\":\"g\"}}"), "And",
          bound("{\"Column\":\"host\"}", "Lt", "{\"Value\":{\"String\":\"p\"}}")),
      bound("{\"Column\":\"host\"}", "GtEq", "{\"Value\":{\"String\":\"p\"}}")};

  private EtcdProcess etcd;
  private MetasrvCluster cluster;
  private SimulatedNodes nodes;
  private final List<SimulatedDatanode> datanodes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path dir = Files.createTempDirectory("metasrv-ddl-");
    etcd = EtcdProcess.start();
    cluster = MetasrvCluster.start(3, "127.0.0.1:" + etcd.clientPort(), dir);
    cluster.awaitSettled(Duration.ofSeconds(60));
    nodes = new SimulatedNodes(cluster.nodes().stream().map(MetasrvNode::serverAddr).toList(),
        MonotonicClock.SYSTEM);
    for (long id = 1; id <= 3; id++) {
      datanodes.add(nodes.servingDatanode(id).withHeartbeatInterval(Duration.ofSeconds(1)));
    }
    for (SimulatedDatanode datanode : datanodes) {
      datanode.start().get(30, TimeUnit.SECONDS);
    }
    ddl(leader(), DdlTasksFixture.createDatabase("metrics", false, null));
  }

  @AfterEach
  void stop() {
    if (nodes != null) {
      nodes.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aFrontendCreatesReadsAndDropsTablesAndARestartedDatanodeOpensItsRegions()
      throws Exception {
    long cpu = createTable("cpu");
    long partitioned = createTable("disk", HOST_PARTITIONS);
    MetasrvNode leader = leader();

    for (long table : List.of(cpu, partitioned)) {
      PhysicalTableRouteValue route = readAsFrontend(leader.serverAddr(),
          table == cpu ? "cpu" : "disk", table);
      assertThat(route.regionRoutes()).hasSize(table == cpu ? 1 : 3);
      for (RegionRoute region : route.regionRoutes()) {
        SimulatedDatanode holder = datanode(region.leaderPeer().id());
        assertThat(holder.regionRequests(RegionRequest.BodyCase.CREATE))
            .extracting(request -> request.getCreate().getRegionId())
            .contains(region.regionId());
        await("datanode " + holder.nodeId() + " to hold a writable lease on "
            + region.regionId()).atMost(SLOW)
            .until(() -> holder.isWritable(region.regionId()));
      }
      assertDatanodeTables(leader.serverAddr(), table, route);
    }

    // ALTER TABLE ADD COLUMN mem DOUBLE AFTER host: every region gets it with column id 3, the
    // table info lists it after host with next_column_id 4 and schema version 1
    DdlTaskResponse altered = ddl(leader, DdlTasksFixture.request().setAlterTableTask(
        AlterTableTask.newBuilder().setAlterTable(AlterTableExpr.newBuilder()
            .setCatalogName("greptime").setSchemaName("metrics").setTableName("disk")
            .setAddColumns(AddColumns.newBuilder().addAddColumns(AddColumn.newBuilder()
                .setColumnDef(ColumnDef.newBuilder().setName("mem")
                    .setDataType(ColumnDataType.FLOAT64).setIsNullable(true)
                    .setSemanticType(SemanticType.FIELD))
                .setLocation(AddColumnLocation.newBuilder()
                    .setLocationType(AddColumnLocation.LocationType.AFTER)
                    .setAfterColumnName("host")))))).build());
    assertThat(altered.getTableIdsList()).isEmpty();
    for (RegionRoute region : MetaCalls.route(leader.serverAddr(), partitioned).regionRoutes()) {
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      assertThat(holder.regionRequests(RegionRequest.BodyCase.ALTER))
          .extracting(request -> request.getAlter().getRegionId(),
              request -> request.getAlter().getSchemaVersion(),
              request -> request.getAlter().getAddColumns().getAddColumns(0)
                  .getColumnDef().getColumnId())
          .contains(org.assertj.core.groups.Tuple.tuple(region.regionId(), 0L, 3));
      assertThat(holder.columns(region.regionId())).containsExactly("ts", "host", "mem", "cpu");
    }
    String diskInfo = io.metasrv.kv.Bytes.utf8(MetaCalls.get(leader.serverAddr(),
        new TableInfoKey(partitioned).toBytes()).orElseThrow());
    assertThat(diskInfo).contains("{\"name\":\"host\",").contains("},{\"name\":\"mem\",")
        .contains("\"next_column_id\":4").contains("\"ident\":{\"table_id\":" + partitioned
            + ",\"version\":1}").endsWith(",\"version\":1}");
    assertThat(diskInfo.indexOf("\"name\":\"mem\"")).isBetween(diskInfo.indexOf(
        "\"name\":\"host\""), diskInfo.indexOf("\"name\":\"cpu\""));

    // a restarted datanode reads __dn_table/{id}/ and opens exactly the regions it leads
    SimulatedDatanode restarted = nodes.restart(datanode(1));
    datanodes.set(0, restarted);
    restarted.start().get(30, TimeUnit.SECONDS);
    TreeSet<Long> led = new TreeSet<>();
    for (long table : List.of(cpu, partitioned)) {
      MetaCalls.route(leader.serverAddr(), table).regionRoutes().stream()
          .filter(region -> region.ledBy(1)).forEach(region -> led.add(region.regionId()));
    }
    assertThat(restarted.startupRegions()).extracting(StartupRegion::regionId)
        .containsExactlyInAnyOrderElementsOf(led);
    assertThat(restarted.openRegions()).isEqualTo(led);

    List<RegionRoute> cpuRegions = MetaCalls.route(leader.serverAddr(), cpu).regionRoutes();
    DdlTaskResponse dropped = ddl(leader, DdlTasksFixture.dropTable("metrics", "cpu", cpu));
    assertThat(dropped.getTableIdsList()).isEmpty();
    for (RegionRoute region : cpuRegions) {
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      assertThat(holder.regionRequests(RegionRequest.BodyCase.DROP))
          .extracting(request -> request.getDrop().getRegionId())
          .containsExactly(region.regionId());
      assertThat(holder.isOpen(region.regionId())).isFalse();
    }
    String addr = leader.serverAddr();
    assertThat(MetaCalls.get(addr, new TableNameKey("greptime", "metrics", "cpu").toBytes()))
        .isEmpty();
    assertThat(MetaCalls.get(addr, new TableInfoKey(cpu).toBytes())).isEmpty();
    assertThat(MetaCalls.keys(addr, "__table_route/" + cpu)).isEmpty();
    assertThat(MetaCalls.keys(addr, "__dn_table/")).noneMatch(key -> key.endsWith("/" + cpu));
    assertThat(MetaCalls.keys(addr, "__tombstone/")).isEmpty();
    // the other table is untouched
    readAsFrontend(addr, "disk", partitioned);
  }

  @Test
  void aLeaderKilledWhileACreateWaitsOnTheDatanodesIsSucceededByOneThatFinishesIt()
      throws Exception {
    datanodes.forEach(datanode -> datanode.failRegionRequests(RegionFault.hang()));
    MetasrvNode leader = leader();
    CompletableFuture<DdlTaskResponse> client = CompletableFuture.supplyAsync(() ->
        ddl(leader, createTableRequest("t2", HOST_PARTITIONS)));
    await("a datanode to receive the Create").atMost(SLOW).until(() -> datanodes.stream()
        .anyMatch(datanode -> !datanode.regionRequests(RegionRequest.BodyCase.CREATE).isEmpty()));
    assertThat(MetaCalls.get(leader.serverAddr(),
        new TableNameKey("greptime", "metrics", "t2").toBytes())).isEmpty();

    long killedAt = System.nanoTime();
    leader.kill9();
    datanodes.forEach(SimulatedDatanode::healRegionRequests);
    MetasrvNode successor = MetasrvCluster.awaitLeaderAmong(cluster.others(leader), killedAt,
        SLOW).leader();
    // the client's call dies with the leader, as a frontend's would
    assertThat(client).failsWithin(SLOW);
    leader.restart();

    String addr = successor.serverAddr();
    byte[] name = new TableNameKey("greptime", "metrics", "t2").toBytes();
    await("the successor to finish the create").atMost(SLOW)
        .until(() -> MetaCalls.get(addr, name).isPresent()
            && MetaCalls.count(addr, "/__procedure__/") == 0);
    long table = TableNameValue.decode(MetaCalls.get(addr, name).orElseThrow()).tableId();
    PhysicalTableRouteValue route = readAsFrontend(addr, "t2", table);
    assertThat(route.regionRoutes()).hasSize(3);
    assertThat(MetaCalls.keys(addr, "__table_info/")).containsExactly("__table_info/" + table);
    assertThat(MetaCalls.keys(addr, "__table_route/")).containsExactly("__table_route/" + table);
    assertDatanodeTables(addr, table, route);
    for (RegionRoute region : route.regionRoutes()) {
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      await("datanode " + holder.nodeId() + " to hold " + region.regionId()).atMost(SLOW)
          .until(() -> holder.isWritable(region.regionId()));
    }
    // every region any datanode was asked to create belongs to the one table, on its leader
    for (SimulatedDatanode datanode : datanodes) {
      for (RegionRequest create : datanode.regionRequests(RegionRequest.BodyCase.CREATE)) {
        long regionId = create.getCreate().getRegionId();
        assertThat(regionId >>> 32).isEqualTo(table);
        assertThat(route.regionRoute(regionId).orElseThrow().ledBy(datanode.nodeId())).isTrue();
      }
      assertThat(datanode.openRegions()).allMatch(regionId ->
          route.regionRoute(regionId).orElseThrow().ledBy(datanode.nodeId()));
    }
  }

  @Test
  void aLeaderKilledWhileADropWaitsOnTheDatanodesIsSucceededByOneThatClearsTheTombstones()
      throws Exception {
    long table = createTable("t3", HOST_PARTITIONS);
    MetasrvNode leader = leader();
    List<RegionRoute> regions = MetaCalls.route(leader.serverAddr(), table).regionRoutes();
    datanodes.forEach(datanode -> datanode.failRegionRequests(RegionFault.hang()));
    CompletableFuture<DdlTaskResponse> client = CompletableFuture.supplyAsync(() ->
        ddl(leader, DdlTasksFixture.dropTable("metrics", "t3", table)));
    await("a datanode to receive the Drop").atMost(SLOW).until(() -> datanodes.stream()
        .anyMatch(datanode -> !datanode.regionRequests(RegionRequest.BodyCase.DROP).isEmpty()));
    assertThat(MetaCalls.keys(leader.serverAddr(), "__tombstone/"))
        .as("the metadata moved to tombstones before the regions are dropped")
        .contains("__tombstone/__table_name/greptime/metrics/t3");

    long killedAt = System.nanoTime();
    leader.kill9();
    datanodes.forEach(SimulatedDatanode::healRegionRequests);
    MetasrvNode successor = MetasrvCluster.awaitLeaderAmong(cluster.others(leader), killedAt,
        SLOW).leader();
    assertThat(client).failsWithin(SLOW);
    leader.restart();

    String addr = successor.serverAddr();
    await("the successor to finish the drop").atMost(SLOW)
        .until(() -> MetaCalls.count(addr, "/__procedure__/") == 0
            && MetaCalls.count(addr, "__tombstone/") == 0);
    assertThat(MetaCalls.keys(addr, "__table")).isEmpty();
    assertThat(MetaCalls.keys(addr, "__dn_table/")).isEmpty();
    for (RegionRoute region : regions) {
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      assertThat(holder.regionRequests(RegionRequest.BodyCase.DROP))
          .extracting(request -> request.getDrop().getRegionId()).contains(region.regionId());
      assertThat(holder.isOpen(region.regionId())).isFalse();
    }
  }

  @Test
  void aFrontendCreatesReadsAndDropsMetricEngineLogicalTables() throws Exception {
    DdlTaskResponse physical = await("the create of phy").atMost(SLOW)
        .ignoreExceptionsMatching(DdlIT::noDatanodeYet)
        .until(() -> ddl(leader(), DdlTasksFixture.createPhysicalTable(HOST_PARTITIONS)),
            response -> true);
    long phy = physical.getTableIds(0).getId();
    MetasrvNode leader = leader();
    DdlTaskResponse created = ddl(leader, DdlTasksFixture.createLogicalTables(
        DdlTasksFixture.logicalTableTask("m1", false),
        DdlTasksFixture.logicalTableTask("m2", false)));
    assertThat(created.getTableIdsCount()).isEqualTo(2);
    String addr = leader.serverAddr();
    PhysicalTableRouteValue physicalRoute = MetaCalls.route(addr, phy);

    for (int i = 0; i < 2; i++) {
      long table = created.getTableIds(i).getId();
      String name = "m" + (i + 1);
      // the frontend's read path for a logical table: name, info, logical route, physical route
      assertThat(TableNameValue.decode(MetaCalls.get(addr,
          new TableNameKey("greptime", "public", name).toBytes()).orElseThrow()).tableId())
          .isEqualTo(table);
      TableInfoValue info = TableInfoValue.decode(MetaCalls.get(addr,
          new TableInfoKey(table).toBytes()).orElseThrow());
      assertThat(info.engine()).isEqualTo("metric");
      assertThat(info.regionNumbers()).containsExactly(0L, 1L, 2L);
      LogicalTableRouteValue route = (LogicalTableRouteValue) TableRouteValue.decode(
          MetaCalls.get(addr, new TableRouteKey(table).toBytes()).orElseThrow());
      assertThat(route.physicalTableId()).isEqualTo(phy);
      assertThat(route.regionIds()).containsExactly(table << 32, (table << 32) + 1,
          (table << 32) + 2);
      for (RegionRoute region : physicalRoute.regionRoutes()) {
        long logicalRegion = RegionId.of(table, RegionId.regionNumber(region.regionId()));
        assertThat(datanode(region.leaderPeer().id()).regionRequests(
            RegionRequest.BodyCase.CREATES)).flatExtracting(r -> r.getCreates().getRequestsList())
            .filteredOn(create -> create.getRegionId() == logicalRegion).singleElement()
            .satisfies(create -> assertThat(create.getOptionsMap()).containsExactly(
                Map.entry("on_physical_table", Long.toString(region.regionId()))));
      }
    }

    DdlTaskResponse dropped = ddl(leader, DdlTasksFixture.dropLogicalTables(
        DdlTasksFixture.dropTableTask("m1", created.getTableIds(0).getId()),
        DdlTasksFixture.dropTableTask("m2", created.getTableIds(1).getId())));
    assertThat(dropped.getTableIdsList()).isEmpty();
    assertThat(MetaCalls.keys(addr, "__table_name/")).containsExactly(
        "__table_name/greptime/public/phy");
    assertThat(MetaCalls.keys(addr, "__table_route/")).containsExactly("__table_route/" + phy);
    assertThat(MetaCalls.keys(addr, "__tombstone/")).isEmpty();
    assertThat(MetaCalls.route(addr, phy)).isEqualTo(physicalRoute);
  }

  private static boolean noDatanodeYet(Throwable e) {
    return e instanceof StatusRuntimeException refused
        && refused.getStatus().getCode() == Status.Code.INTERNAL
        && String.valueOf(refused.getStatus().getDescription()).contains("available");
  }

  /**
   * The frontend's read path: the name gives the id; the info has it and its region numbers;
   * the route's leaders have addresses. Returns the route.
   */
  private static PhysicalTableRouteValue readAsFrontend(String addr, String table, long tableId) {
    TableNameValue name = TableNameValue.decode(MetaCalls.get(addr,
        new TableNameKey("greptime", "metrics", table).toBytes()).orElseThrow());
    assertThat(name.tableId()).isEqualTo(tableId);
    TableInfoValue info = TableInfoValue.decode(MetaCalls.get(addr,
        new TableInfoKey(tableId).toBytes()).orElseThrow());
    assertThat(info.tableId()).isEqualTo(tableId);
    assertThat(info.name()).isEqualTo(table);
    PhysicalTableRouteValue route = MetaCalls.route(addr, tableId);
    assertThat(info.regionNumbers()).containsExactlyElementsOf(route.regionRoutes().stream()
        .map(region -> region.regionId() & 0xFFFF_FFFFL).toList());
    for (RegionRoute region : route.regionRoutes()) {
      assertThat(region.regionId() >>> 32).isEqualTo(tableId);
      NodeAddressValue address = NodeAddressValue.decode(MetaCalls.get(addr,
          NodeAddressKey.datanode(region.leaderPeer().id()).toBytes()).orElseThrow());
      assertThat(address.peer()).isEqualTo(region.leaderPeer());
    }
    return route;
  }

  /** {@code __dn_table/{datanode}/{table}} lists exactly the regions the route has it lead. */
  private static void assertDatanodeTables(String addr, long tableId,
      PhysicalTableRouteValue route) {
    Map<Long, List<Long>> expected = new TreeMap<>();
    for (RegionRoute region : route.regionRoutes()) {
      expected.computeIfAbsent(region.leaderPeer().id(), id -> new ArrayList<>())
          .add(region.regionId() & 0xFFFF_FFFFL);
    }
    for (long datanode = 1; datanode <= 3; datanode++) {
      var value = MetaCalls.get(addr, new DatanodeTableKey(datanode, tableId).toBytes());
      if (expected.containsKey(datanode)) {
        assertThat(DatanodeTableValue.decode(value.orElseThrow()).regions())
            .containsExactlyInAnyOrderElementsOf(expected.get(datanode));
      } else {
        assertThat(value).isEmpty();
      }
    }
  }

  /** Creates {@code table} in {@code metrics}, retried until the leader knows the datanodes. */
  private long createTable(String table, String... bounds) {
    DdlTaskResponse created = await("the create of " + table).atMost(SLOW)
        .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException refused
            && refused.getStatus().getCode() == Status.Code.INTERNAL
            && String.valueOf(refused.getStatus().getDescription()).contains("available"))
        .until(() -> ddl(leader(), createTableRequest(table, bounds)), response -> true);
    assertThat(created.getTableIdsCount()).isEqualTo(1);
    return created.getTableIds(0).getId();
  }

  private static DdlTaskRequest createTableRequest(String table, String... bounds) {
    return DdlTasksFixture.request().setCreateTableTask(DdlTasksFixture.createTableTask(
        DdlTasksFixture.createTableExpr("metrics", table), bounds)).build();
  }

  /** A PartitionBound {@code Expr} as GreptimeDB's frontend serializes it. */
  private static String bound(String lhs, String op, String rhs) {
    return "{\"Expr\":{\"lhs\":" + lhs + ",\"op\":\"" + op + "\",\"rhs\":" + rhs + "}}";
  }

  private static DdlTaskResponse ddl(MetasrvNode node, DdlTaskRequest request) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(node.serverAddr()).usePlaintext()
        .build();
    try {
      return ProcedureServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(SLOW.toMillis(), TimeUnit.MILLISECONDS).ddl(request);
    } finally {
      channel.shutdownNow();
    }
  }

  private MetasrvNode leader() {
    return cluster.awaitSingleLeader(SLOW);
  }

  private SimulatedDatanode datanode(long id) {
    return datanodes.get((int) id - 1);
  }
}
