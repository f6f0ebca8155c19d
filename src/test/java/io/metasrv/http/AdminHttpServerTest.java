package io.metasrv.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metasrv.cluster.ClusterKeys;
import io.metasrv.cluster.ClusterReports;
import io.metasrv.cluster.ClusterView;
import io.metasrv.cluster.LeaseValue;
import io.metasrv.cluster.Stat;
import io.metasrv.kv.KvBackend;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.kv.MemoryKv;
import io.metasrv.metadata.MaintenanceMode;
import io.metasrv.metadata.ProcedurePause;
import io.metasrv.procedure.ProceduresReport;
import io.metasrv.metadata.sequence.Sequence;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminHttpServerTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final StoreBackedAdmin backend = new StoreBackedAdmin(new MemoryKv(KvLimits.DEFAULT));
  private AdminHttpServer server;

  @BeforeEach
  void start() throws Exception {
    server = AdminHttpServer.start(new InetSocketAddress("127.0.0.1", 0), backend, registry);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void healthTellsLeaderFollowerAndNotServingApart() throws Exception {
    backend.health = NodeHealth.LEADER;
    assertThat(call("GET", "/health")).extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(200, "{\"status\":\"leader\",\"epoch\":12}");
    backend.health = NodeHealth.FOLLOWER;
    assertThat(call("GET", "/health")).extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(200, "{\"status\":\"follower\"}");
    backend.health = NodeHealth.NOT_SERVING;
    assertThat(call("GET", "/health")).extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(503, "{\"status\":\"not_serving\"}");
    assertThat(call("HEAD", "/health").statusCode()).isEqualTo(503);
    assertThat(call("GET", "/admin/health").body()).isEqualTo("OK\n");
  }

  @Test
  void leaderAnswersTheAddressOrUnavailable() throws Exception {
    backend.leader = Optional.of("10.0.0.7:3002");
    HttpResponse<String> response = call("GET", "/admin/leader");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("10.0.0.7:3002");
    backend.leader = Optional.empty();
    assertThat(call("GET", "/admin/leader").statusCode()).isEqualTo(503);
  }

  @Test
  void maintenanceInBothFormsChangesTheStoredFlag() throws Exception {
    assertThat(call("GET", "/admin/maintenance").body()).isEqualTo("{\"enabled\":false}");
    assertThat(call("PUT", "/admin/maintenance?enable=true").body())
        .isEqualTo("{\"enabled\":true}");
    assertThat(backend.maintenance.isEnabled()).isTrue();
    assertThat(call("POST", "/admin/maintenance/disable").body())
        .isEqualTo("{\"enabled\":false}");
    assertThat(backend.maintenance.isEnabled()).isFalse();
    assertThat(call("POST", "/admin/maintenance/enable/").body())
        .isEqualTo("{\"enabled\":true}");
    assertThat(call("GET", "/admin/maintenance").headers().firstValue("Content-Type"))
        .contains("application/json");
  }

  @Test
  void newerGreptimeDbMaintenanceFormsReadAndSetTheFlag() throws Exception {
    assertThat(call("GET", "/admin/maintenance/status").body()).isEqualTo("{\"enabled\":false}");
    assertThat(call("GET", "/admin/maintenance?enable=true").body())
        .isEqualTo("{\"enabled\":true}");
    assertThat(backend.maintenance.isEnabled()).isTrue();
    assertThat(call("GET", "/admin/maintenance/status").body()).isEqualTo("{\"enabled\":true}");
    assertThat(call("POST", "/admin/maintenance?enable=false").body())
        .isEqualTo("{\"enabled\":false}");
    assertThat(backend.maintenance.isEnabled()).isFalse();
    assertThat(call("POST", "/admin/maintenance/status").statusCode()).isEqualTo(405);
  }

  @Test
  void aNodeStartingAsLeaderAnswersRetryAfter() throws Exception {
    backend.refusal = Optional.of(NotLeaderException.startingAsLeader());
    HttpResponse<String> starting = call("POST", "/admin/maintenance/enable");
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.headers().firstValue("Retry-After")).contains("1");
    assertThat(starting.body()).contains("starting as leader");

    backend.refusal = Optional.of(new NotLeaderException(Optional.of("10.0.0.7:3002")));
    HttpResponse<String> follower = call("POST", "/admin/maintenance/enable");
    assertThat(follower.statusCode()).isEqualTo(503);
    assertThat(follower.headers().firstValue("Retry-After")).isEmpty();
    assertThat(follower.body()).contains("the leader is 10.0.0.7:3002");
    assertThat(backend.maintenance.isEnabled()).isFalse();
  }

  @Test
  void nodeLeaseWritesU64NodeIdsUnsigned() throws Exception {
    backend.view.kv().put(ClusterKeys.datanodeLease(-1L),
        new LeaseValue(1_704_164_645_678L, "10.0.0.7:4001").encode());

    assertThat(call("GET", "/admin/node-lease").body())
        .startsWith("[{\"name\":{\"node_id\":18446744073709551615},");
  }

  @Test
  void nodeLeaseAndHeartbeatAnswerInGreptimeDbsShapes() throws Exception {
    backend.view.kv().put(ClusterKeys.datanodeLease(7),
        new LeaseValue(1_704_164_645_678L, "10.0.0.7:4001").encode());
    Stat stat = new Stat(1_704_164_645_678L, 7, "10.0.0.7:4001", 0, 0, 0, List.of(), 3);
    backend.view.kv().put(ClusterKeys.datanodeStat(7), Stat.encodeAll(List.of(stat)));

    HttpResponse<String> leases = call("GET", "/admin/node-lease");
    assertThat(leases.statusCode()).isEqualTo(200);
    assertThat(leases.body()).isEqualTo("[{\"name\":{\"node_id\":7},"
        + "\"human_time\":\"2024-01-02 03:04:05.678\",\"lease\":{\"timestamp_millis\":"
        + "1704164645678,\"node_addr\":\"10.0.0.7:4001\"}}]");
    assertThat(call("GET", "/admin/heartbeat").body())
        .isEqualTo("[" + new String(Stat.encodeAll(List.of(stat)), StandardCharsets.UTF_8) + "]");
    assertThat(call("GET", "/admin/heartbeat?addr=10.0.0.7:4001").body()).startsWith("[[{");
    assertThat(call("GET", "/admin/heartbeat?addr=10.0.0.8:4001").body()).isEqualTo("[]");
    assertThat(call("GET", "/admin/heartbeat/help").body()).contains("GET /admin/heartbeat");
  }

  @Test
  void badRequestsGetTheRightStatusAndChangeNothing() throws Exception {
    HttpResponse<String> missing = call("PUT", "/admin/maintenance");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).contains("missing required parameter 'enable'");
    HttpResponse<String> bad = call("PUT", "/admin/maintenance?enable=TRUE1");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("'enable' must be 'true' or 'false'");

    HttpResponse<String> wrongMethod = call("GET", "/admin/maintenance/enable");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
    assertThat(call("POST", "/health").statusCode()).isEqualTo(405);
    assertThat(call("GET", "/admin/nothing").statusCode()).isEqualTo(404);
    assertThat(backend.maintenance.isEnabled()).isFalse();
  }

  @Test
  void storeFailureIsServiceUnavailableAndTheServerKeepsServing() throws Exception {
    backend.storeDown = true;
    HttpResponse<String> response = call("GET", "/admin/maintenance");
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).contains("store unavailable");
    backend.storeDown = false;
    assertThat(call("GET", "/admin/maintenance").statusCode()).isEqualTo(200);
  }

  @Test
  void metricsCountRequestsByRouteMethodAndStatus() throws Exception {
    call("GET", "/admin/health");
    call("GET", "/admin/health");
    call("GET", "/no/such/path");
    // a request is counted once its answer has been written, which a fast client can outrun
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      HttpResponse<String> metrics = call("GET", "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/plain"));
      assertThat(metrics.body())
          .contains("metasrv_http_requests_seconds_count{method=\"GET\",route=\"/admin/health\","
              + "status=\"200\"} 2")
          .contains("metasrv_http_requests_seconds_count{method=\"GET\",route=\"other\","
              + "status=\"404\"} 1");
    });
  }

  @Test
  void tableIdSequenceIsReadMovedForwardAndAllocated() throws Exception {
    assertThat(call("GET", "/admin/sequence/table/next-id"))
        .extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(200, "{\"next_table_id\":1024}");
    assertThat(call("POST", "/admin/sequence/table/set-next-id", "{\"next_table_id\": 2000}"))
        .extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(200, "{\"next_table_id\":2000}");
    assertThat(call("GET", "/admin/sequence/table/next-id").body())
        .isEqualTo("{\"next_table_id\":2000}");
    assertThat(call("POST", "/admin/sequence/table/allocate").body())
        .isEqualTo("{\"table_id\":2000}");
    assertThat(call("POST", "/admin/sequence/table/allocate").body())
        .isEqualTo("{\"table_id\":2001}");
    // the allocation reserved 2000..2009
    assertThat(call("GET", "/admin/sequence/table/next-id").body())
        .isEqualTo("{\"next_table_id\":2010}");
  }

  @Test
  void tableIdSequenceRefusesGoingBackAndBadBodies() throws Exception {
    call("POST", "/admin/sequence/table/set-next-id", "{\"next_table_id\": 3000}");
    HttpResponse<String> back =
        call("POST", "/admin/sequence/table/set-next-id", "{\"next_table_id\": 2999}");
    assertThat(back.statusCode()).isEqualTo(409);
    assertThat(back.body()).contains("2999").contains("3000");
    assertThat(call("POST", "/admin/sequence/table/set-next-id", "{\"next_table_id\": 3000}")
        .statusCode()).isEqualTo(409);
    for (String bad : List.of("", "not json", "{}", "{\"next_table_id\": \"4000\"}",
        "{\"next_table_id\": -1}", "{\"next_table_id\": 4294967296}",
        "{\"next_table_id\": 99999999999999999999999}", "[1]")) {
      HttpResponse<String> response =
          call("POST", "/admin/sequence/table/set-next-id", bad);
      assertThat(response.statusCode()).as(bad).isEqualTo(400);
      assertThat(response.body()).as(bad).contains("next_table_id");
    }
    assertThat(call("POST", "/admin/sequence/table/set-next-id", "x".repeat(70_000))
        .statusCode()).isEqualTo(413);
    assertThat(call("GET", "/admin/sequence/table/set-next-id").statusCode()).isEqualTo(405);
    assertThat(call("GET", "/admin/sequence/table/next-id").body())
        .isEqualTo("{\"next_table_id\":3000}");
  }

  @Test
  void procedureManagerIsPausedAndResumedThroughTheStoredSwitch() throws Exception {
    assertThat(call("GET", "/admin/procedure-manager/status"))
        .extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(200, "{\"status\":\"running\"}");
    assertThat(call("POST", "/admin/procedure-manager/pause").body())
        .isEqualTo("{\"status\":\"paused\"}");
    assertThat(backend.pause.isPaused()).isTrue();
    assertThat(call("GET", "/admin/procedure-manager/status").body())
        .isEqualTo("{\"status\":\"paused\"}");
    assertThat(call("POST", "/admin/procedure-manager/resume").body())
        .isEqualTo("{\"status\":\"running\"}");
    assertThat(backend.pause.isPaused()).isFalse();
    assertThat(call("GET", "/admin/procedure-manager/pause").statusCode()).isEqualTo(405);
    assertThat(call("GET", "/admin/procedures"))
        .extracting(HttpResponse::statusCode, HttpResponse::body)
        .containsExactly(200, "[]");

    backend.refusal = Optional.of(new NotLeaderException(Optional.of("10.0.0.9:3002")));
    for (String[] call : List.of(new String[] {"GET", "/admin/procedures"},
        new String[] {"POST", "/admin/procedure-manager/pause"},
        new String[] {"GET", "/admin/procedure-manager/status"})) {
      HttpResponse<String> response = call(call[0], call[1]);
      assertThat(response.statusCode()).as(call[1]).isEqualTo(503);
      assertThat(response.body()).contains("10.0.0.9:3002");
    }
    assertThat(backend.pause.isPaused()).isFalse();
  }

  @Test
  void sequenceRoutesOnAFollowerNameTheLeader() throws Exception {
    backend.refusal = Optional.of(new NotLeaderException(Optional.of("10.0.0.9:3002")));
    for (String[] call : List.of(new String[] {"GET", "/admin/sequence/table/next-id"},
        new String[] {"POST", "/admin/sequence/table/allocate"})) {
      HttpResponse<String> response = call(call[0], call[1]);
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.body()).contains("10.0.0.9:3002");
    }
  }

  @Test
  void livenessIsAnsweredWhileEveryWorkerWaitsOnTheStoreAndExcessRequestsAreTurnedAway()
      throws Exception {
    backend.storeGate = new CountDownLatch(1);
    URI maintenance = URI.create("http://127.0.0.1:" + server.address().getPort()
        + "/admin/maintenance");
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      waiting.add(client.sendAsync(HttpRequest.newBuilder(maintenance).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    // 4 workers busy and 64 queued: the other 12 are answered at once
    await().atMost(Duration.ofSeconds(30)).until(() -> waiting.stream()
        .filter(CompletableFuture::isDone).count() == 12);
    assertThat(waiting.stream().filter(CompletableFuture::isDone)
        .map(CompletableFuture::join))
        .allSatisfy(busy -> {
          assertThat(busy.statusCode()).isEqualTo(503);
          assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
        });
    assertThat(call("GET", "/admin/health").statusCode()).isEqualTo(200);
    assertThat(call("GET", "/health").statusCode()).isEqualTo(200);

    backend.storeGate.countDown();
    CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertThat(waiting.stream().map(CompletableFuture::join)
        .filter(response -> response.statusCode() == 200)).hasSize(68);
  }

  private HttpResponse<String> call(String method, String path) throws Exception {
    return call(method, path, "");
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    return client.send(HttpRequest.newBuilder(uri)
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The admin backend over a real store, with health and leader set by the test. */
  private static final class StoreBackedAdmin implements AdminBackend {
    final MaintenanceMode maintenance;
    volatile NodeHealth health = NodeHealth.LEADER;
    volatile Optional<String> leader = Optional.empty();
    volatile boolean storeDown;
    volatile CountDownLatch storeGate = new CountDownLatch(0);
    final ClusterView view = new ClusterView();
    final ClusterReports reports = new ClusterReports(view);
    volatile Optional<NotLeaderException> refusal = Optional.empty();

    final Sequence tableIds;
    final ProcedurePause pause;

    StoreBackedAdmin(KvBackend kv) {
      this.maintenance = new MaintenanceMode(kv);
      this.pause = new ProcedurePause(kv);
      this.tableIds = Sequence.tableIds(kv);
    }

    @Override
    public NodeHealth health() {
      return health;
    }

    @Override
    public long leaderEpoch() {
      return health == NodeHealth.LEADER ? 12 : 0;
    }

    @Override
    public Optional<String> leaderAddr() {
      return leader;
    }

    @Override
    public boolean maintenanceEnabled() {
      failIfStoreDown();
      return maintenance.isEnabled();
    }

    @Override
    public boolean setMaintenance(boolean enabled) {
      failIfStoreDown();
      if (refusal.isPresent()) {
        throw refusal.get();
      }
      return maintenance.set(enabled);
    }

    @Override
    public String nodeLeasesJson() {
      return reports.nodeLeases();
    }

    @Override
    public String heartbeatsJson(Optional<String> addr) {
      return reports.heartbeats(addr);
    }

    @Override
    public String failedRegionsJson() {
      refuseIfSet();
      return "[]";
    }

    @Override
    public long nextTableId() {
      refuseIfSet();
      return tableIds.peek();
    }

    @Override
    public long setNextTableId(long nextId) {
      refuseIfSet();
      tableIds.jumpTo(nextId);
      return nextId;
    }

    @Override
    public long allocateTableId() {
      refuseIfSet();
      return tableIds.next();
    }

    @Override
    public String proceduresJson() {
      refuseIfSet();
      return ProceduresReport.json(List.of());
    }

    @Override
    public boolean procedureManagerPaused() {
      refuseIfSet();
      return pause.isPaused();
    }

    @Override
    public boolean setProcedureManagerPaused(boolean paused) {
      refuseIfSet();
      return pause.set(paused);
    }

    private void refuseIfSet() {
      if (refusal.isPresent()) {
        throw refusal.get();
      }
    }

    private void failIfStoreDown() {
      try {
        storeGate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (storeDown) {
        throw new KvUnavailableException("store is down", null);
      }
    }
  }
}
