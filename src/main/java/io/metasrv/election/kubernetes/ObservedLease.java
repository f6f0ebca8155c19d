package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The election Lease as this node last read it, and when, on this node's monotonic clock, it
 * last saw it change.
 *
 * <p>Expiry is judged from that moment alone: the Lease's {@code renewTime} was written with its
 * holder's wall clock, which may be minutes off from ours, so comparing it with our clock could
 * let us steal a live Lease or wait minutes for a dead one. A change is seen no earlier than the
 * holder's renewal was sent, and a holder steps down within its renew deadline after that, which
 * is shorter than the lease duration: so a Lease seen unchanged for a full lease duration has no
 * holder that still thinks it leads.
 *
 * @param lease the Lease read, or null when there is none
 * @param changedAtNanos when this node first saw this version of the Lease
 * @param defaultDurationSeconds the lease duration to assume when the Lease states none
 */
record ObservedLease(Lease lease, long changedAtNanos, int defaultDurationSeconds) {

  /** Nothing read yet, or no Lease exists. */
  static ObservedLease none(long nowNanos, int defaultDurationSeconds) {
    return new ObservedLease(null, nowNanos, defaultDurationSeconds);
  }

  /**
   * What reading {@code read} at {@code nowNanos} tells: the same version as before keeps its
   * change time, any other version (or the Lease appearing or going) changed now.
   */
  ObservedLease next(Lease read, long nowNanos) {
    boolean unchanged = read != null && lease != null
        && Objects.equals(resourceVersion(), read.getMetadata().getResourceVersion());
    return new ObservedLease(read, unchanged ? changedAtNanos : nowNanos,
        defaultDurationSeconds);
  }

  boolean exists() {
    return lease != null;
  }

  String resourceVersion() {
    return lease == null ? null : lease.getMetadata().getResourceVersion();
  }

  /** The holder's identity (its {@code server_addr}); empty when none or released. */
  Optional<String> holder() {
    return Optional.ofNullable(spec()).map(LeaseSpec::getHolderIdentity)
        .filter(holder -> !holder.isEmpty());
  }

  /** {@code leaseTransitions}, 0 when unset. */
  long transitions() {
    LeaseSpec spec = spec();
    return spec == null || spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions();
  }

  /** When a holder that stopped renewing can no longer think it leads, on our clock. */
  long expiresAtNanos() {
    LeaseSpec spec = spec();
    int seconds = spec == null || spec.getLeaseDurationSeconds() == null
        || spec.getLeaseDurationSeconds() <= 0
        ? defaultDurationSeconds : spec.getLeaseDurationSeconds();
    return changedAtNanos + TimeUnit.SECONDS.toNanos(seconds);
  }

  /**
   * Whether {@code self} may try to take the Lease at {@code nowNanos}: it is free, or expired,
   * or it is still the version this very process wrote when it last led (nobody wrote since, so
   * nobody else can lead). A Lease naming {@code self} that this process did not write was
   * written by an earlier process at the same address, which may still think it leads: it has
   * to expire like any other.
   *
   * @param versionWrittenBySelf the {@code resourceVersion} of this process's last write, or
   *     null
   */
  boolean mayBeTakenBy(String self, String versionWrittenBySelf, long nowNanos) {
    Optional<String> holder = holder();
    if (holder.isEmpty()) {
      return true;
    }
    if (holder.get().equals(self) && versionWrittenBySelf != null
        && versionWrittenBySelf.equals(resourceVersion())) {
      return true;
    }
    return nowNanos - expiresAtNanos() >= 0;
  }

  /** The holder, while it may still think it leads. */
  Optional<String> liveHolder(long nowNanos) {
    return nowNanos - expiresAtNanos() < 0 ? holder() : Optional.empty();
  }

  private LeaseSpec spec() {
    return lease == null ? null : lease.getSpec();
  }
}
