package io.metasrv.server;

import io.metasrv.election.Election;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.http.AdminBackend;
import io.metasrv.http.NodeHealth;
import io.metasrv.kv.KvBackend;
import io.metasrv.metadata.MaintenanceMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One metasrv node: its store, its election and the leader-only work that follows the
 * election's events.
 *
 * <p>Leader changes are handled one at a time, in order, on the {@code metasrv-leader-events}
 * thread: on {@link LeaderChange.Elected} the {@link LeaderStateHandler}s start in
 * registration order; on {@link LeaderChange.StepDown} they stop in reverse order. A handler
 * that fails to start makes the node give leadership up rather than lead half-started.
 */
public final class Metasrv implements AdminBackend {
  private static final Logger log = LoggerFactory.getLogger(Metasrv.class);

  private final MetasrvNodeInfo nodeInfo;
  private final KvBackend kv;
  private final Election election;
  private final MaintenanceMode maintenance;
  private final List<LeaderStateHandler> handlers = new CopyOnWriteArrayList<>();
  private final List<LeaderStateHandler> started = new ArrayList<>();
  private final ExecutorService leaderEvents = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "metasrv-leader-events");
    t.setDaemon(true);
    return t;
  });
  private volatile ServingState state = ServingState.STARTING;

  public Metasrv(MetasrvNodeInfo nodeInfo, KvBackend kv, Election election) {
    this.nodeInfo = nodeInfo;
    this.kv = kv;
    this.election = election;
    this.maintenance = new MaintenanceMode(kv);
  }

  /** Adds leader-only work; call before {@link #start()}. */
  public void addLeaderStateHandler(LeaderStateHandler handler) {
    if (state != ServingState.STARTING) {
      throw new IllegalStateException("leader state handlers must be added before start");
    }
    handlers.add(handler);
  }

  /** Joins the election; this node serves as a follower until it is elected. */
  public void start() {
    state = ServingState.FOLLOWER;
    election.start(nodeInfo, change -> leaderEvents.execute(() -> onLeaderChange(change)));
  }

  public MetasrvNodeInfo nodeInfo() {
    return nodeInfo;
  }

  public ServingState state() {
    return state;
  }

  public KvBackend kv() {
    return kv;
  }

  /**
   * Stops serving: resigns leadership first so a peer takes over at once, then stops the
   * leader-only work and closes the store.
   */
  public void shutdown() {
    if (state == ServingState.STOPPING || state == ServingState.STOPPED) {
      return;
    }
    state = ServingState.STOPPING;
    log.info("metasrv stopping: addr={}", nodeInfo.addr());
    election.close();
    leaderEvents.shutdown();
    try {
      if (!leaderEvents.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("leader state handlers did not stop within 30 s; interrupting them");
        leaderEvents.shutdownNow();
      }
    } catch (InterruptedException e) {
      leaderEvents.shutdownNow();
      Thread.currentThread().interrupt();
    }
    kv.close();
    state = ServingState.STOPPED;
  }

  private void onLeaderChange(LeaderChange change) {
    if (change instanceof LeaderChange.Elected elected) {
      becomeLeader(elected);
    } else if (change instanceof LeaderChange.StepDown stepDown) {
      becomeFollower(stepDown);
    }
  }

  private void becomeLeader(LeaderChange.Elected elected) {
    log.info("leader elected: addr={}", elected.leaderAddr());
    for (LeaderStateHandler handler : handlers) {
      try {
        handler.onLeaderStart();
        started.add(handler);
      } catch (Exception e) {
        log.error("leader state handler {} failed to start; giving up leadership",
            handler.name(), e);
        stopStartedHandlers();
        election.resign();
        return;
      }
    }
    if (state == ServingState.FOLLOWER) {
      state = ServingState.LEADER;
    }
  }

  private void becomeFollower(LeaderChange.StepDown stepDown) {
    if (state == ServingState.LEADER) {
      state = ServingState.FOLLOWER;
    }
    stopStartedHandlers();
    log.info("leader stepped down: addr={}", stepDown.leaderAddr());
  }

  private void stopStartedHandlers() {
    for (int i = started.size() - 1; i >= 0; i--) {
      LeaderStateHandler handler = started.get(i);
      try {
        handler.onLeaderStop();
      } catch (Exception e) {
        log.error("leader state handler {} failed to stop", handler.name(), e);
      }
    }
    started.clear();
  }

  @Override
  public NodeHealth health() {
    return state.health();
  }

  @Override
  public Optional<String> leaderAddr() {
    return election.leader();
  }

  @Override
  public boolean maintenanceEnabled() {
    return maintenance.isEnabled();
  }

  @Override
  public boolean setMaintenance(boolean enabled) {
    boolean now = maintenance.set(enabled);
    log.info("maintenance mode {}", now ? "enabled" : "disabled");
    return now;
  }
}
