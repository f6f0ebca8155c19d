package io.metasrv.grpc;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.metasrv.protocol.ClusterGrpc;
import io.metasrv.protocol.HeartbeatGrpc;
import io.metasrv.protocol.ProcedureServiceGrpc;
import io.metasrv.protocol.StoreGrpc;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What {@code grpc.health.v1.Health} answers, kept in step with the node.
 *
 * <ul>
 *   <li>{@code ""} (the server as a whole) and {@code greptime.v1.meta.Store}: SERVING while the
 *       node serves, as leader or follower, with a store that answers; NOT_SERVING while it
 *       starts, stops or has lost its store;
 *   <li>{@code Heartbeat}, {@code Cluster}, {@code ProcedureService} and its older name {@code
 *       Procedure}: SERVING only on the serving leader; a follower answers them with NotLeader.
 * </ul>
 *
 * <p>Updated at once on the node's leader and serving changes ({@link
 * GrpcBackend#onServingChange}), and every {@value #REFRESH_MILLIS} ms for what the node learns
 * only by looking (its store no longer answering, an election that lapsed before its step-down
 * event). Watchers hear of changes only.
 */
final class HealthReporter implements AutoCloseable {
  static final long REFRESH_MILLIS = 1000;
  static final List<String> LEADER_ONLY = List.of(HeartbeatGrpc.SERVICE_NAME,
      ClusterGrpc.SERVICE_NAME, ProcedureServiceGrpc.SERVICE_NAME,
      GrpcServer.LEGACY_PROCEDURE_SERVICE);

  private final HealthStatusManager health = new HealthStatusManager();
  private final GrpcBackend backend;
  private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "metasrv-grpc-health");
        t.setDaemon(true);
        return t;
      });

  HealthReporter(GrpcBackend backend) {
    this.backend = backend;
    refresh();
    backend.onServingChange(this::refresh);
    refresher.scheduleWithFixedDelay(this::refresh, REFRESH_MILLIS, REFRESH_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  HealthStatusManager manager() {
    return health;
  }

  /** Sets every status from the node's state now. */
  synchronized void refresh() {
    boolean serving = backend.isServing();
    boolean leading = serving && backend.isLeader();
    set(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, serving);
    set(StoreGrpc.SERVICE_NAME, serving);
    for (String service : LEADER_ONLY) {
      set(service, leading);
    }
  }

  private void set(String service, boolean serving) {
    health.setStatus(service, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** Everything NOT_SERVING from now on, for the server's last moments. */
  @Override
  public synchronized void close() {
    refresher.shutdownNow();
    health.enterTerminalState();
  }
}
