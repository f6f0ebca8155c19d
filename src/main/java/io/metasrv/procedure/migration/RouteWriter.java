package io.metasrv.procedure.migration;

import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.PhysicalTableRouteValue;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.RegionInfo;
import io.metasrv.metadata.RegionRoute;
import io.metasrv.metadata.TableRoutes;
import io.metasrv.metadata.ValueWithBytes;
import io.metasrv.procedure.RetryLaterException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * This leader's migration writes to table routes: one write in flight per table, and the changes
 * asked for meanwhile combined into the next write (a group commit). Migrations of many regions
 * of one table at once (a drain, a failover) would otherwise race compare-and-swaps on the same
 * route key: with 100 at once each write lands for one and sends the other 99 back to read, and
 * those that keep losing fall back on the procedure framework's doubling retry delays.
 *
 * <p>A write still compares on the bytes it read, so a change by another writer (DDL, a previous
 * leader) is seen: every change of the batch is then applied again to the route read anew, up to
 * {@value #ATTEMPTS} times before the batch is told to retry later. The caller whose change
 * arrives while no write is in flight writes its batch; a caller of the batch that gathered
 * meanwhile then writes that one, and so on, each caller returning once its own batch is written.
 * (When the first caller went on writing every later batch itself, its migration waited for all
 * of them: in a failover of 100 regions it finished 3 s after the others.)
 */
public final class RouteWriter {
  static final int ATTEMPTS = 8;

  /** A change to one region's route. */
  @FunctionalInterface
  public interface RegionChange {
    /**
     * The route the region should have, or empty when {@code current} needs no change.
     *
     * @throws MigrationException when the route is not as the migration expects
     */
    Optional<RegionRoute> apply(RegionRoute current) throws MigrationException;
  }

  private final TableRoutes routes;
  /** Changes waiting for the next write, by table; guarded by this. */
  private final Map<Long, List<Pending>> waiting = new HashMap<>();
  /** Tables with a write in flight; guarded by this. */
  private final Set<Long> writing = new HashSet<>();

  public RouteWriter(TableRoutes routes) {
    this.routes = routes;
  }

  /**
   * Applies {@code change} to the region's stored route and writes it, with the changes other
   * migrations of this leader ask for meanwhile.
   *
   * @param regionInfo the table's region info when the change may move the leader ({@code
   *     __dn_table} is rewritten in the same transaction), null when it only marks or clears the
   *     leader's state
   * @return whether the stored route changed (false: the change found nothing to do)
   * @throws MigrationException when the route or the region is missing or not as expected
   * @throws RetryLaterException when other writers kept changing the route
   */
  public boolean update(long tableId, long regionId, RegionChange change, RegionInfo regionInfo)
      throws MigrationException, RetryLaterException, InterruptedException {
    Pending pending = new Pending(regionId, change, regionInfo);
    boolean writer;
    synchronized (this) {
      waiting.computeIfAbsent(tableId, id -> new ArrayList<>()).add(pending);
      writer = writing.add(tableId);
    }
    if (writer) {
      writeAndHandOver(tableId);
    }
    awaitOutcome(tableId, pending);
    try {
      return pending.changed.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MigrationException failed) {
        throw failed;
      } else if (cause instanceof RetryLaterException retry) {
        throw retry;
      } else if (cause instanceof RuntimeException unexpected) {
        throw unexpected;
      }
      throw (Error) cause;
    }
  }

  /** Changes waiting for the table's next write, for tests. */
  synchronized int waiting(long tableId) {
    return waiting.getOrDefault(tableId, List.of()).size();
  }

  /**
   * Waits until the change is written, writing the batch it is in when handed the turn. An
   * interrupt does not end the wait (a caller handed the turn must write, or the table's later
   * changes would wait forever; a write is a few store calls): it is kept for the caller.
   */
  private void awaitOutcome(long tableId, Pending pending) throws InterruptedException {
    boolean interrupted = false;
    while (!pending.changed.isDone()) {
      try {
        CompletableFuture.anyOf(pending.changed, pending.turn).get();
      } catch (InterruptedException e) {
        interrupted = true;
        continue;
      } catch (ExecutionException e) {
        break; // the change failed: its outcome is read by the caller
      }
      if (!pending.changed.isDone() && pending.turn.isDone()) {
        writeAndHandOver(tableId);
      }
    }
    if (interrupted) {
      throw new InterruptedException("interrupted while the route of table " + tableId
          + " was written");
    }
  }

  /**
   * Writes the table's batch gathered so far (the caller's change is in it), then hands the turn
   * to a change of the batch gathered meanwhile, if any.
   */
  private void writeAndHandOver(long tableId) {
    List<Pending> batch;
    synchronized (this) {
      batch = waiting.remove(tableId);
    }
    if (batch != null) {
      try {
        write(tableId, batch);
      } catch (RuntimeException | Error e) {
        batch.forEach(pending -> pending.changed.completeExceptionally(e));
      }
    }
    synchronized (this) {
      List<Pending> next = waiting.get(tableId);
      if (next == null) {
        writing.remove(tableId);
      } else {
        next.get(0).turn.complete(null);
      }
    }
  }

  /** One write of a batch; completes each change's future. */
  private void write(long tableId, List<Pending> batch) {
    List<Pending> left = batch;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      ValueWithBytes<PhysicalTableRouteValue> current;
      try {
        current = routes.physical(tableId).orElseThrow(() ->
            new MigrationException("Table route not found: " + tableId));
      } catch (MigrationException e) {
        left.forEach(pending -> pending.changed.completeExceptionally(e));
        return;
      } catch (InvalidMetadataException e) {
        MigrationException failed = new MigrationException(e.getMessage(), e);
        left.forEach(pending -> pending.changed.completeExceptionally(failed));
        return;
      }
      List<RegionRoute> updated = new ArrayList<>(current.value().regionRoutes());
      List<Pending> applied = new ArrayList<>();
      Set<Pending> changing = new HashSet<>();
      RegionInfo regionInfo = null;
      for (Pending pending : left) {
        try {
          int index = indexOf(updated, pending.regionId);
          Optional<RegionRoute> changed = pending.change.apply(updated.get(index));
          if (changed.isPresent()) {
            updated.set(index, changed.get());
            changing.add(pending);
            if (pending.regionInfo != null) {
              regionInfo = pending.regionInfo;
            }
          }
          applied.add(pending);
        } catch (MigrationException e) {
          pending.changed.completeExceptionally(e);
        }
      }
      boolean landed = changing.isEmpty()
          || (regionInfo != null ? routes.updateRoutes(tableId, current, updated, regionInfo)
              : routes.updateLeaderState(tableId, current, updated));
      if (landed) {
        applied.forEach(pending -> pending.changed.complete(changing.contains(pending)));
        return;
      }
      left = applied;
    }
    RetryLaterException retry = new RetryLaterException("the route of table " + tableId
        + " kept changing while " + left.size() + " migration(s) updated it");
    left.forEach(pending -> pending.changed.completeExceptionally(retry));
  }

  private static int indexOf(List<RegionRoute> routes, long regionId) throws MigrationException {
    for (int i = 0; i < routes.size(); i++) {
      if (routes.get(i).regionId() == regionId) {
        return i;
      }
    }
    throw new MigrationException("Region route not found: " + RegionId.display(regionId));
  }

  /** A change waiting for its write. */
  private static final class Pending {
    final long regionId;
    final RegionChange change;
    final RegionInfo regionInfo;
    final CompletableFuture<Boolean> changed = new CompletableFuture<>();
    /** Completed when this change's caller is to write the batch it is in. */
    final CompletableFuture<Void> turn = new CompletableFuture<>();

    Pending(long regionId, RegionChange change, RegionInfo regionInfo) {
      this.regionId = regionId;
      this.change = change;
      this.regionInfo = regionInfo;
    }
  }
}
