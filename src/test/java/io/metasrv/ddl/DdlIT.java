package io.metasrv.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
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
import io.metasrv.protocol.v1.RenameTable;
import io.metasrv.protocol.v1.SemanticType;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.FreePorts;
import io.metasrv.testing.MetaCalls;
import io.metasrv.testing.MetasrvCluster;
import io.metasrv.testing.MetasrvNode;
import io.metasrv.testing.MonotonicClock;
import io.metasrv.testing.RegionFault;
import io.metasrv.testing.SimulatedDatanode;
import io.metasrv.testing.SimulatedNodes;
import io.metasrv.testing.StartupRegion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DDL across three {@code metasrv start} processes on a real etcd with three simulated
 * datanodes serving {@code Region/Handle}: a client sends tasks to {@code ProcedureService.ddl}
 * as GreptimeDB's frontend builds them and reads the metadata back over {@code Store} as a
 * frontend does ({@code __table_name} → {@code __table_info} → {@code __table_route} → {@code
 * __node_address}); a leader killed in each state of a create, a drop, a rename or an add column
 * is succeeded by one that finishes it once; a create whose datanode fails or cannot be reached
 * fails with a clear error and no metadata; a restarted datanode opens exactly its regions from
 * {@code __dn_table}; the metric engine's logical tables are created in a physical table's
 * regions and dropped again. The nodes run with a hold directory ({@link StateHolds}) and 3
 * procedure retries.
 */
class DdlIT {
  private static final Duration SLOW = Duration.ofSeconds(90);
  /** {@code PARTITION ON COLUMNS (host) (host < 'g', host >= 'g' AND host < 'p', host >= 'p')}. */
  private static final String[] HOST_PARTITIONS = hostPartitions("g", "p");
  private static final String BEFORE = "before";
  private static final String AFTER = "after";

  private Path holds;
  private EtcdProcess etcd;
  private MetasrvCluster cluster;
  private SimulatedNodes nodes;
  private final List<SimulatedDatanode> datanodes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path dir = Files.createTempDirectory("metasrv-ddl-");
    holds = Files.createDirectory(dir.resolve("holds"));
    Path config = dir.resolve("metasrv.toml");
    // a failing datanode is retried 3 times, 0.1 + 0.2 + 0.4 s apart
    Files.writeString(config, "[procedure]\nmax_retry_times = 3\nretry_delay = \"100ms\"\n");
    List<String> jvm = new ArrayList<>(MetasrvNode.SMALL_JVM);
    jvm.add("-D" + StateHolds.PROPERTY + "=" + holds);
    etcd = EtcdProcess.start();
    cluster = MetasrvCluster.start(3, List.of("--backend", "etcd_store", "--store-addrs",
        "127.0.0.1:" + etcd.clientPort(), "-c", config.toString()), dir, jvm);
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
    DdlTaskResponse altered = ddl(leader, addMemAfterHostRequest("disk"));
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
   * Each state of CreateTable, DropTable and AlterTable (rename, add column) in turn on the same
   * processes: the procedure is held in the state (the datanodes hang in its region requests, or a hold
   * file of {@link StateHolds}), the leader is killed -9 and the hold released. A procedure
   * killed in Prepare was never stored and is gone with its leader, as in GreptimeDB: none of its
   * metadata is left, the regions a CreateTable's Prepare had datanodes create meanwhile (see
   * {@link io.metasrv.ddl.CreateTableProcedure}) are of a table id no route names and the
   * datanodes close them, and the task runs again from scratch. One killed later is resumed by the
   * successor, which finishes it once: the datanodes carried out each region request at most
   * once more than the state needed (an interrupted state runs again, and the datanode takes a
   * repeated Create or Drop as done), the table's metadata is whole or gone as a frontend reads
   * it, and no other table's metadata or regions appear. None of the three rolls back on a
   * leader change (GreptimeDB rolls back only a DropTable that fails).
   */
  @Test
  void aLeaderKilledInEachDdlStateIsSucceededByOneThatFinishesTheTaskOnce() throws Exception {
    // GreptimeDB's CreateTableState: Prepare, DatanodeCreateRegions, CreateMetadata
    List<KillCase> creates = List.of(
        KillCase.lost(holdFile("CreateTable", "Prepare", AFTER)),
        KillCase.resumed(datanodesHang(RegionRequest.BodyCase.CREATE), 2),
        KillCase.resumed(holdFile("CreateTable", "DatanodeCreateRegions", AFTER), 2),
        // CreateMetadata's step is not stored: the successor creates the regions again
        KillCase.resumed(holdFile("CreateTable", "CreateMetadata", BEFORE), 2),
        KillCase.resumed(holdFile("CreateTable", "CreateMetadata", AFTER), 1));
    // GreptimeDB's DropTableState: Prepare, DeleteMetadata, InvalidateTableCache,
    // DatanodeDropRegions, DeleteTombstone
    List<KillCase> drops = List.of(
        KillCase.lost(holdFile("DropTable", "Prepare", AFTER)),
        KillCase.resumed(holdFile("DropTable", "DeleteMetadata", AFTER), 1),
        KillCase.resumed(holdFile("DropTable", "InvalidateTableCache", BEFORE), 1),
        KillCase.resumed(datanodesHang(RegionRequest.BodyCase.DROP), 2),
        KillCase.resumed(holdFile("DropTable", "DatanodeDropRegions", AFTER), 2),
        KillCase.resumed(holdFile("DropTable", "DeleteTombstone", AFTER), 1));
    // GreptimeDB's AlterTableState: Prepare, SubmitAlterRegionRequests, UpdateMetadata,
    // InvalidateTableCache; a rename sends no region request, so it never enters
    // SubmitAlterRegionRequests (an alter kind that does is held there by datanodesHang(ALTER))
    List<KillCase> renames = List.of(
        KillCase.lost(holdFile("AlterTable", "Prepare", AFTER)),
        KillCase.resumed(holdFile("AlterTable", "UpdateMetadata", BEFORE), 0),
        KillCase.resumed(holdFile("AlterTable", "UpdateMetadata", AFTER), 0),
        KillCase.resumed(holdFile("AlterTable", "InvalidateTableCache", BEFORE), 0));
    // an added column is sent to every region in SubmitAlterRegionRequests
    List<KillCase> addColumns = List.of(
        KillCase.resumed(datanodesHang(RegionRequest.BodyCase.ALTER), 2),
        KillCase.resumed(holdFile("AlterTable", "SubmitAlterRegionRequests", AFTER), 2));
    createTable("warmup");
    int n = 0;
    for (KillCase killed : creates) {
      killInCreate(killed, "created" + n++);
    }
    for (KillCase killed : drops) {
      killInDrop(killed, "dropped" + n++);
    }
    for (KillCase killed : renames) {
      killInRename(killed, "renamed" + n++);
    }
    for (KillCase killed : addColumns) {
      killInAddColumn(killed, "widened" + n++);
    }
  }

  private void killInCreate(KillCase killed, String table) {
    List<Integer> before = requestCounts();
    MetasrvNode successor = killWhileHeld(createTableRequest(table, HOST_PARTITIONS),
        killed.hold());
    String addr = successor.serverAddr();
    byte[] name = new TableNameKey("greptime", "metrics", table).toBytes();
    if (!killed.resumed()) {
      assertThat(MetaCalls.get(addr, name)).as(killed + ": gone with the leader").isEmpty();
      System.out.println(killed + ": the datanodes close the " + requestsSince(before,
          RegionRequest.BodyCase.CREATE).size() + " region(s) Prepare had them create");
      for (SimulatedDatanode datanode : datanodes) {
        for (RegionRequest create : requestsSince(before, datanode,
            RegionRequest.BodyCase.CREATE)) {
          long regionId = create.getCreate().getRegionId();
          assertThat(MetaCalls.keys(addr, "__table_route/" + (regionId >>> 32)))
              .as(killed + ": a route of " + regionId).isEmpty();
          await(killed + ": datanode " + datanode.nodeId() + " to close " + regionId
              + ", which no route names").atMost(SLOW).until(() -> !datanode.isOpen(regionId));
        }
      }
      assertConsistentMetadata(addr);
      before = requestCounts();
      createTable(table, HOST_PARTITIONS);
    }
    long tableId = TableNameValue.decode(MetaCalls.get(addr, name).orElseThrow(
        () -> new AssertionError(killed + ": " + table + " was not created"))).tableId();
    PhysicalTableRouteValue route = readAsFrontend(addr, table, tableId);
    assertDatanodeTables(addr, tableId, route);
    assertConsistentMetadata(addr);
    Map<Long, Integer> creates = new TreeMap<>();
    for (SimulatedDatanode datanode : datanodes) {
      for (RegionRequest create : requestsSince(before, datanode,
          RegionRequest.BodyCase.CREATE)) {
        long regionId = create.getCreate().getRegionId();
        assertThat(route.regionRoute(regionId)).as(killed + ": region " + regionId
            + " created on datanode " + datanode.nodeId()).isPresent();
        assertThat(route.regionRoute(regionId).orElseThrow().ledBy(datanode.nodeId()))
            .as(killed.toString()).isTrue();
        creates.merge(regionId, 1, Integer::sum);
      }
    }
    int expected = killed.resumed() ? killed.requestsPerRegion() : 1;
    for (RegionRoute region : route.regionRoutes()) {
      assertThat(creates.get(region.regionId())).as(killed + ": Creates of " + region.regionId())
          .isEqualTo(expected);
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      await(killed + ": datanode " + holder.nodeId() + " to hold " + region.regionId())
          .atMost(SLOW).until(() -> holder.isWritable(region.regionId()));
    }
  }

  private void killInDrop(KillCase killed, String table) {
    long tableId = createTable(table, HOST_PARTITIONS);
    List<RegionRoute> regions = MetaCalls.route(leader().serverAddr(), tableId).regionRoutes();
    List<Integer> before = requestCounts();
    DdlTaskRequest drop = DdlTasksFixture.dropTable("metrics", table, tableId);
    MetasrvNode successor = killWhileHeld(drop, killed.hold());
    String addr = successor.serverAddr();
    if (!killed.resumed()) {
      readAsFrontend(addr, table, tableId);
      assertThat(requestsSince(before, RegionRequest.BodyCase.DROP)).as(killed.toString()).isEmpty();
      assertConsistentMetadata(addr);
      ddl(leader(), drop);
    }
    assertThat(MetaCalls.get(addr, new TableNameKey("greptime", "metrics", table).toBytes()))
        .as(killed.toString()).isEmpty();
    assertThat(MetaCalls.keys(addr, "__dn_table/")).as(killed.toString())
        .noneMatch(key -> key.endsWith("/" + tableId));
    assertConsistentMetadata(addr);
    int expected = killed.resumed() ? killed.requestsPerRegion() : 1;
    for (RegionRoute region : regions) {
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      // a datanode may lead several of the table's regions (the selector saw only it alive)
      assertThat(requestsSince(before, holder, RegionRequest.BodyCase.DROP))
          .extracting(request -> request.getDrop().getRegionId()).as(killed.toString())
          .containsOnlyElementsOf(ledBy(regions, holder.nodeId()))
          .filteredOn(regionId -> regionId == region.regionId()).hasSize(expected);
      assertThat(holder.isOpen(region.regionId())).as(killed.toString()).isFalse();
    }
  }

  /** The ids of the regions of {@code routes} that {@code datanode} leads. */
  private static List<Long> ledBy(List<RegionRoute> routes, long datanode) {
    return routes.stream().filter(route -> route.ledBy(datanode))
        .map(RegionRoute::regionId).toList();
  }

  private void killInRename(KillCase killed, String table) {
    long tableId = createTable(table, HOST_PARTITIONS);
    String newName = table + "_new";
    MetasrvNode successor = killWhileHeld(renameRequest(table, newName), killed.hold());
    String addr = successor.serverAddr();
    if (!killed.resumed()) {
      readAsFrontend(addr, table, tableId);
      assertThat(TableInfoValue.decode(MetaCalls.get(addr, new TableInfoKey(tableId).toBytes())
          .orElseThrow()).version()).as(killed.toString()).isZero();
      ddl(leader(), renameRequest(table, newName));
    }
    assertThat(MetaCalls.get(addr, new TableNameKey("greptime", "metrics", table).toBytes()))
        .as(killed.toString()).isEmpty();
    readAsFrontend(addr, newName, tableId);
    assertThat(TableInfoValue.decode(MetaCalls.get(addr, new TableInfoKey(tableId).toBytes())
        .orElseThrow()).version()).as(killed + ": renamed once").isEqualTo(1);
    assertConsistentMetadata(addr);
  }

  private void killInAddColumn(KillCase killed, String table) {
    long tableId = createTable(table, HOST_PARTITIONS);
    List<Integer> before = requestCounts();
    MetasrvNode successor = killWhileHeld(addMemAfterHostRequest(table), killed.hold());
    String addr = successor.serverAddr();
    TableInfoValue info = TableInfoValue.decode(MetaCalls.get(addr,
        new TableInfoKey(tableId).toBytes()).orElseThrow());
    assertThat(info.version()).as(killed + ": altered once").isEqualTo(1);
    assertThat(io.metasrv.kv.Bytes.utf8(info.encode())).as(killed.toString())
        .contains("\"next_column_id\":4");
    PhysicalTableRouteValue route = readAsFrontend(addr, table, tableId);
    assertConsistentMetadata(addr);
    for (RegionRoute region : route.regionRoutes()) {
      SimulatedDatanode holder = datanode(region.leaderPeer().id());
      assertThat(requestsSince(before, holder, RegionRequest.BodyCase.ALTER))
          .extracting(request -> request.getAlter().getRegionId()).as(killed.toString())
          .containsOnlyElementsOf(ledBy(route.regionRoutes(), holder.nodeId()))
          .filteredOn(regionId -> regionId == region.regionId())
          .hasSizeBetween(1, killed.requestsPerRegion());
      assertThat(holder.columns(region.regionId())).as(killed.toString())
          .containsExactly("ts", "host", "mem", "cpu");
    }
  }

  /**
   * Sends {@code request} to the leader, waits until {@code hold} holds it, kills the leader -9,
   * releases the hold and restarts the killed node. Returns the successor once no procedure is
   * left in the store.
   */
  private MetasrvNode killWhileHeld(DdlTaskRequest request, Hold hold) {
    MetasrvNode leader = leader();
    // a leader that took over in the previous case may not have heard every datanode yet, and
    // would refuse a create with NoEnoughAvailableNode
    await("the leader to hear every datanode").atMost(SLOW).ignoreExceptions()
        .until(() -> MetaCalls.datanodeLeaseCount(leader.serverAddr()) == datanodes.size());
    hold.place().run();
    CompletableFuture<DdlTaskResponse> client = CompletableFuture.supplyAsync(() ->
        ddl(leader, request));
    await(hold + " to be reached").atMost(SLOW)
        .until(() -> hold.reached().getAsBoolean() || client.isDone());
    if (!hold.reached().getAsBoolean()) {
      // the task ended before the hold: say how, not just that the hold never came
      throw new AssertionError(hold + " was not reached: the task ended first with "
          + client.handle((answer, error) -> error == null ? answer : error).join());
    }
    long killedAt = System.nanoTime();
    leader.kill9();
    hold.release().run();
    MetasrvCluster.Takeover takeover = MetasrvCluster.awaitLeaderAmong(cluster.others(leader),
        killedAt, SLOW);
    // the client's call dies with the leader, as a frontend's would
    assertThat(client).as(hold.toString()).failsWithin(SLOW);
    leader.restart();
    String addr = takeover.leader().serverAddr();
    await("the successor to finish what was held in " + hold).atMost(SLOW)
        .until(() -> MetaCalls.count(addr, "/__procedure__/") == 0);
    System.out.printf("killed the leader in %s: %s took over in %d ms and finished%n", hold,
        takeover.leader().name(), takeover.elapsed().toMillis());
    return takeover.leader();
  }

  /**
   * A datanode failing with UNAVAILABLE is retried {@code max_retry_times} (3), then the client
   * gets GreptimeDB's "retry exceeded" error naming the datanode; a datanode failing otherwise
   * fails the create at once with its status code; a datanode that heartbeats but does not
   * listen is retried and fails as the first. None leaves a key of the table, the regions the
   * other datanodes created are closed, and the name can be created once the datanodes answer.
   */
  @Test
  void aCreateWhoseDatanodeFailsOrIsUnreachableFailsClearlyAndLeavesNoMetadata()
      throws Exception {
    createTable("warmup");
    MetasrvNode leader = leader();
    String addr = leader.serverAddr();

    List<Integer> before = requestCounts();
    datanode(2).failRegionRequests(RegionFault.unavailable());
    StatusRuntimeException retried = refused(leader, createTableRequest("retried",
        HOST_PARTITIONS));
    System.out.println("a datanode answering UNAVAILABLE: " + retried.getStatus());
    assertThat(retried.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(retried.getTrailers().get(RegionFault.GREPTIME_ERROR_CODE)).isEqualTo("1003");
    assertThat(retried.getStatus().getDescription())
        .contains("Procedure retry exceeded max times")
        .contains("datanode 2 (" + datanode(2).addr() + ")")
        .contains("datanode is shutting down");
    List<RegionRequest> attempts = requestsSince(before, datanode(2),
        RegionRequest.BodyCase.CREATE);
    assertThat(attempts).as("the first try and 3 retries").hasSize(4)
        .extracting(request -> request.getCreate().getRegionId()).containsOnly(
            attempts.get(0).getCreate().getRegionId());
    assertNoMetadataOf(addr, "retried", attempts.get(0).getCreate().getRegionId() >>> 32);
    // the regions the other datanodes created are closed there once no lease keeps them
    for (SimulatedDatanode datanode : List.of(datanode(1), datanode(3))) {
      for (RegionRequest create : requestsSince(before, datanode,
          RegionRequest.BodyCase.CREATE)) {
        long regionId = create.getCreate().getRegionId();
        await("datanode " + datanode.nodeId() + " to close " + regionId + ", which no route"
            + " names").atMost(SLOW).until(() -> !datanode.isOpen(regionId));
      }
    }
    datanode(2).healRegionRequests();

    before = requestCounts();
    datanode(3).failNextRegionRequests(1, RegionFault.error(1003, "disk is on fire"));
    StatusRuntimeException failed = refused(leader, createTableRequest("failed",
        HOST_PARTITIONS));
    System.out.println("a datanode answering Internal: " + failed.getStatus());
    assertThat(failed.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(failed.getTrailers().get(RegionFault.GREPTIME_ERROR_CODE)).isEqualTo("1003");
    assertThat(failed.getStatus().getDescription())
        .contains("datanode 3 (" + datanode(3).addr() + ")").contains("disk is on fire");
    attempts = requestsSince(before, datanode(3), RegionRequest.BodyCase.CREATE);
    assertThat(attempts).as("not retried").hasSize(1);
    assertNoMetadataOf(addr, "failed", attempts.get(0).getCreate().getRegionId() >>> 32);

    // nothing left blocks the names
    for (String table : List.of("retried", "failed")) {
      long tableId = createTable(table, HOST_PARTITIONS);
      readAsFrontend(addr, table, tableId);
    }

    String unreachableAddr = "127.0.0.1:" + FreePorts.next();
    SimulatedDatanode unreachable = nodes.datanode(4, unreachableAddr)
        .withHeartbeatInterval(Duration.ofSeconds(1));
    unreachable.start().get(30, TimeUnit.SECONDS);
    await("the leader to hold datanode 4's lease").atMost(SLOW).until(() -> leader
        .send("GET", "/admin/node-lease", Duration.ofSeconds(2))
        .map(response -> response.body().contains("\"node_id\":4}")).orElse(false));
    before = requestCounts();
    // four regions over four datanodes: round robin gives datanode 4 one
    StatusRuntimeException unreached = refused(leader, createTableRequest("unreached",
        hostPartitions("g", "m", "t")));
    System.out.println("a datanode nothing listens for: " + unreached.getStatus());
    assertThat(unreached.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(unreached.getStatus().getDescription())
        .contains("Procedure retry exceeded max times")
        .contains("datanode 4 (" + unreachableAddr + ")");
    long unreachedTable = requestsSince(before, RegionRequest.BodyCase.CREATE).get(0)
        .getCreate().getRegionId() >>> 32;
    assertNoMetadataOf(addr, "unreached", unreachedTable);
    unreachable.stop();
    assertConsistentMetadata(addr);
  }

  /** No key of the table {@code table} (id {@code tableId}), and no procedure of it left. */
  private static void assertNoMetadataOf(String addr, String table, long tableId) {
    assertThat(MetaCalls.get(addr, new TableNameKey("greptime", "metrics", table).toBytes()))
        .as(table).isEmpty();
    assertThat(MetaCalls.get(addr, new TableInfoKey(tableId).toBytes())).as(table).isEmpty();
    assertThat(MetaCalls.keys(addr, "__table_route/" + tableId)).as(table).isEmpty();
    assertThat(MetaCalls.keys(addr, "__dn_table/")).as(table)
        .noneMatch(key -> key.endsWith("/" + tableId));
    assertThat(MetaCalls.count(addr, "/__procedure__/")).as(table).isZero();
  }

  /**
   * Every table named in {@code metrics} has exactly its info and route, none is left without a
   * name, and no tombstone is left.
   */
  private static void assertConsistentMetadata(String addr) {
    List<Long> named = MetaCalls.keys(addr, "__table_name/greptime/metrics/").stream()
        .map(key -> TableNameValue.decode(MetaCalls.get(addr,
            key.getBytes(StandardCharsets.UTF_8)).orElseThrow()).tableId()).toList();
    assertThat(MetaCalls.keys(addr, "__table_info/")).containsExactlyInAnyOrderElementsOf(
        named.stream().map(id -> "__table_info/" + id).toList());
    assertThat(MetaCalls.keys(addr, "__table_route/")).containsExactlyInAnyOrderElementsOf(
        named.stream().map(id -> "__table_route/" + id).toList());
    assertThat(MetaCalls.keys(addr, "__tombstone/")).isEmpty();
  }

  /** How a procedure is held in a state while the leader is killed. */
  private record Hold(String name, Runnable place, BooleanSupplier reached, Runnable release) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * A kill in one hold: a procedure not yet stored is lost with its leader; a resumed one makes
   * {@code requestsPerRegion} region requests of its kind in all (the killed leader's and the
   * successor's).
   */
  private record KillCase(Hold hold, boolean resumed, int requestsPerRegion) {
    static KillCase lost(Hold hold) {
      return new KillCase(hold, false, 0);
    }

    static KillCase resumed(Hold hold, int requestsPerRegion) {
      return new KillCase(hold, true, requestsPerRegion);
    }

    @Override
    public String toString() {
      return hold.name();
    }
  }

  /** A hold file of {@link StateHolds}, in the directory every node was started with. */
  private Hold holdFile(String type, String state, String when) {
    Path file = holds.resolve(type + "." + state + "." + when);
    Path reached = holds.resolve(file.getFileName() + ".reached");
    return new Hold(type + "." + state + " (" + when + ")",
        () -> write(file),
        () -> Files.exists(reached),
        () -> {
          delete(file);
          delete(reached);
        });
  }

  /**
   * Every datanode hangs in its region requests until each of the table's 3 regions has had a
   * request of {@code kind}: the procedure waits in the state that sends them.
   */
  private Hold datanodesHang(RegionRequest.BodyCase kind) {
    List<Integer> before = new ArrayList<>();
    return new Hold("datanodes hanging in " + kind,
        () -> {
          before.addAll(requestCounts());
          datanodes.forEach(datanode -> datanode.failRegionRequests(RegionFault.hang()));
        },
        () -> requestsSince(before, kind).size() >= HOST_PARTITIONS.length,
        () -> datanodes.forEach(SimulatedDatanode::healRegionRequests));
  }

  private static void write(Path file) {
    try {
      Files.writeString(file, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How many region requests each datanode has received so far. */
  private List<Integer> requestCounts() {
    return datanodes.stream().map(datanode -> datanode.regionRequests().size()).toList();
  }

  /** The region requests of {@code kind} every datanode received after {@code before}. */
  private List<RegionRequest> requestsSince(List<Integer> before, RegionRequest.BodyCase kind) {
    List<RegionRequest> since = new ArrayList<>();
    for (SimulatedDatanode datanode : datanodes) {
      since.addAll(requestsSince(before, datanode, kind));
    }
    return since;
  }

  private static List<RegionRequest> requestsSince(List<Integer> before,
      SimulatedDatanode datanode, RegionRequest.BodyCase kind) {
    List<RegionRequest> all = datanode.regionRequests();
    return all.subList(before.get((int) datanode.nodeId() - 1), all.size()).stream()
        .filter(request -> request.getBodyCase() == kind).toList();
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

  /** ALTER TABLE {@code table} ADD COLUMN mem DOUBLE AFTER host. */
  private static DdlTaskRequest addMemAfterHostRequest(String table) {
    return DdlTasksFixture.request().setAlterTableTask(AlterTableTask.newBuilder()
        .setAlterTable(AlterTableExpr.newBuilder().setCatalogName("greptime")
            .setSchemaName("metrics").setTableName(table)
            .setAddColumns(AddColumns.newBuilder().addAddColumns(AddColumn.newBuilder()
                .setColumnDef(ColumnDef.newBuilder().setName("mem")
                    .setDataType(ColumnDataType.FLOAT64).setIsNullable(true)
                    .setSemanticType(SemanticType.FIELD))
                .setLocation(AddColumnLocation.newBuilder()
                    .setLocationType(AddColumnLocation.LocationType.AFTER)
                    .setAfterColumnName("host")))))).build();
  }

  private static DdlTaskRequest renameRequest(String table, String newName) {
    return DdlTasksFixture.request().setAlterTableTask(AlterTableTask.newBuilder()
        .setAlterTable(AlterTableExpr.newBuilder().setCatalogName("greptime")
            .setSchemaName("metrics").setTableName(table)
            .setRenameTable(RenameTable.newBuilder().setNewTableName(newName)))).build();
  }

  /** Range partitions on {@code host}, split at each of {@code splits} (in order). */
  private static String[] hostPartitions(String... splits) {
    String host = "{\"Column\":\"host\"}";
    String[] bounds = new String[splits.length + 1];
    bounds[0] = bound(host, "Lt", string(splits[0]));
    for (int i = 1; i < splits.length; i++) {
      bounds[i] = bound(bound(host, "GtEq", string(splits[i - 1])), "And",
          bound(host, "Lt", string(splits[i])));
    }
    bounds[splits.length] = bound(host, "GtEq", string(splits[splits.length - 1]));
    return bounds;
  }

  private static String string(String value) {
    return "{\"Value\":{\"String\":\"" + value + "\"}}";
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

  /** The error {@code node} answers {@code request} with. */
  private static StatusRuntimeException refused(MetasrvNode node, DdlTaskRequest request) {
    Throwable thrown = catchThrowable(() -> ddl(node, request));
    assertThat(thrown).isInstanceOf(StatusRuntimeException.class);
    return (StatusRuntimeException) thrown;
  }

  private MetasrvNode leader() {
    return cluster.awaitSingleLeader(SLOW);
  }

  private SimulatedDatanode datanode(long id) {
    return datanodes.get((int) id - 1);
  }
}
