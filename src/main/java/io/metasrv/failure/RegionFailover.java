package io.metasrv.failure;

import io.metasrv.selector.SelectorCandidate;

/**
 * What the region supervisor does with a region replica judged failed: moves the region to
 * {@code target} (GreptimeDB submits a region migration procedure with a 60 s timeout).
 * Implemented by region migration; until failover is enabled, {@link #DISABLED}.
 */
public interface RegionFailover {

  /** Failover is off ({@code enable_region_failover = false}): failed regions stay listed. */
  RegionFailover DISABLED = new RegionFailover() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public boolean failover(FailedRegion failed, SelectorCandidate target) {
      return false;
    }
  };

  /** Whether failed regions are moved at all; when not, no target is chosen either. */
  boolean enabled();

  /**
   * Whether failover is paused now (the procedure manager is paused): failed regions wait, and
   * are moved once it resumes if they are still failed.
   */
  default boolean paused() {
    return false;
  }

  /**
   * Starts moving the failed region to {@code target}. Called on the supervisor's hand-over
   * threads, for many regions at once but once at a time per region, without the supervisor's
   * lock; it should return once the move is submitted, not wait for it to finish.
   *
   * @return whether the failure is taken care of (a migration was started, one is already
   *     running, or the region no longer exists), so that its detector can go; false keeps it,
   *     to be tried again at the next tick
   * @throws Exception when starting failed; the detector is kept and the next tick tries again
   */
  boolean failover(FailedRegion failed, SelectorCandidate target) throws Exception;
}
