package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.election.ElectionException;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's candidate Lease: created at start, rewritten every {@link
 * KubernetesLeaseConfig#candidateRenewInterval()} on a thread of its own ({@code
 * metasrv-election-candidate}), written again when someone else changed or deleted it, and
 * deleted on close. While this node leads, the same thread then deletes the candidate Leases of
 * nodes that are gone ({@link CandidateLeases#deleteStale()}), off the thread that renews the
 * election Lease.
 */
final class CandidateRegistration implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CandidateRegistration.class);

  private final LeaseCalls calls;
  private final CandidateLeases candidates;
  private final KubernetesLeaseConfig config;
  private final MetasrvNodeInfo self;
  private final BooleanSupplier leading;
  private final String name;
  private final ScheduledThreadPoolExecutor renewer;

  // confined to the renewer thread until close() has stopped it
  private Lease written;
  private int failures;

  CandidateRegistration(LeaseCalls calls, CandidateLeases candidates,
      KubernetesLeaseConfig config, MetasrvNodeInfo self, BooleanSupplier leading) {
    this.calls = calls;
    this.candidates = candidates;
    this.config = config;
    this.self = self;
    this.leading = leading;
    this.name = CandidateLeases.nameOf(config.leaseName(), self.addr());
    this.renewer = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "metasrv-election-candidate");
      thread.setDaemon(true);
      return thread;
    });
    // on close, a write in flight finishes (within the request timeout); none follows it
    renewer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  void start() {
    renewer.execute(this::renew);
  }

  private void renew() {
    Duration next = config.candidateRenewInterval();
    try {
      written = written == null ? register() : rewrite(written);
      if (failures > 0) {
        log.info("candidate Lease written again after {} failed attempts: name={}", failures,
            name);
        failures = 0;
      }
    } catch (KubernetesClientException e) {
      if (failures++ == 0) {
        log.warn("candidate Lease not written, retrying every {}: name={} error={}",
            config.retryPeriod(), name, LeaseCalls.describe(e));
      }
      next = config.retryPeriod();
    }
    if (failures == 0 && leading.getAsBoolean()) {
      deleteStaleCandidates();
    }
    if (!renewer.isShutdown()) {
      renewer.schedule(this::renew, next.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void deleteStaleCandidates() {
    try {
      candidates.deleteStale();
    } catch (ElectionException | KubernetesClientException e) {
      log.warn("could not delete the candidate Leases of gone nodes, trying again in {}: {}",
          config.candidateRenewInterval(), e.getMessage());
    }
  }

  /** Creates the Lease, or takes over the one an earlier process at this address left. */
  private Lease register() {
    Lease created;
    try {
      created = calls.create(candidates.registration(self, null, calls.microTimeNow()));
    } catch (KubernetesClientException e) {
      if (!LeaseCalls.isConflict(e)) {
        throw e;
      }
      Lease existing = calls.get(name);
      created = existing == null
          ? calls.create(candidates.registration(self, null, calls.microTimeNow()))
          : calls.update(candidates.registration(self, existing, calls.microTimeNow()));
    }
    log.info("candidate registered: namespace={} name={}", calls.namespace(), name);
    return created;
  }

  private Lease rewrite(Lease current) {
    try {
      return calls.update(candidates.registration(self, current, calls.microTimeNow()));
    } catch (KubernetesClientException e) {
      if (!LeaseCalls.isConflict(e) && !LeaseCalls.isNotFound(e)) {
        throw e;
      }
      log.info("candidate Lease was changed or deleted by someone else, registering again: "
          + "name={}", name);
      return register();
    }
  }

  /** Stops renewing, then deletes the Lease (best effort: peers stop listing it anyway). */
  @Override
  public void close() {
    renewer.shutdown();
    try {
      if (!renewer.awaitTermination(config.requestTimeout().toMillis() * 3,
          TimeUnit.MILLISECONDS)) {
        log.warn("candidate renewer did not stop in time: name={}", name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      calls.delete(name);
    } catch (KubernetesClientException e) {
      log.warn("could not delete candidate Lease; peers stop listing it after {}: name={} "
          + "error={}", config.candidateExpiry(), name, LeaseCalls.describe(e));
    }
  }
}
