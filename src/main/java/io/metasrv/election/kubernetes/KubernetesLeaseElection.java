package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.metasrv.config.ElectionOptions;
import io.metasrv.election.CampaignSignals;
import io.metasrv.election.Election;
import io.metasrv.election.ElectionMetrics;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.kv.KvException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election over a Kubernetes {@code coordination.k8s.io/v1} Lease, with client-go's
 * timings (lease duration, renew deadline, retry period).
 *
 * <p>The Lease's {@code holderIdentity} is the leader's {@code server_addr}, and its {@code
 * leaseTransitions} is the term, which {@link LeaderChange.Elected} carries and the node then
 * stores as its leader epoch ({@link io.metasrv.fence.LeaderEpoch#acquire}). Every write names
 * the {@code resourceVersion} it replaces, so two nodes cannot both acquire from the same version
 * (the loser gets a 409, which is a lost race, not an error).
 *
 * <p><b>How the term is chosen, and why two nodes never act under the same epoch.</b> A node
 * about to take the Lease reads the stored leader epoch first and writes the term {@code
 * max(leaseTransitions, storedEpoch) + 1}. Both parts matter:
 *
 * <ul>
 *   <li>{@code leaseTransitions + 1}: while the Lease object lives, every acquisition (by any
 *       node, even the last holder) writes a larger term than the one before it, in the order
 *       the API server accepted the writes. So a node elected later holds a larger term than one
 *       elected earlier, and an earlier winner that was slow to store its epoch is refused
 *       ({@code FencedException}) instead of fencing out its successor.
 *   <li>{@code storedEpoch + 1}: deleting or recreating the Lease by hand resets {@code
 *       leaseTransitions}, and a new Lease may meet an old store. A term below the stored epoch
 *       would be refused by the store at every election, so the cluster could never lead again;
 *       starting above the stored epoch makes the first leader of a new Lease acceptable.
 * </ul>
 *
 * <p>Safety does not rest on the term alone: a node acts as leader only after it has stored
 * its term as the epoch with a compare-and-put that requires it to be strictly greater than the
 * stored one, and each of its leader writes requires the stored epoch to still be its own
 * ({@link io.metasrv.fence.FencedKv}). Each epoch value is therefore stored by at most one node,
 * and only the holder of the newest one can write. Where the Lease cannot order two nodes (it
 * was deleted between their elections, so they may derive equal terms, or the earlier one the
 * larger), the store orders them: a node whose term is refused, or whose epoch a larger one
 * replaced, is fenced and resigns, and the next term moves past both. A deleted Lease also lets
 * a peer lead before the old holder has noticed (at its next renewal, or at once when the watch
 * reports the deletion): their writes stay apart by epoch.
 *
 * <p>Followers take the Lease when it is released (no holder), deleted, or seen unchanged for
 * its lease duration, counted on the local monotonic clock (see {@link ObservedLease}); the
 * timestamps in the Lease are written for people and for other tools, never compared with this
 * node's wall clock. They read it every retry period, and also watch it ({@link LeaseWatch}):
 * a released or deleted Lease wakes them at once, so a resigned leader is replaced in about one
 * round trip. The leader renews every retry period; once its renewals have not succeeded for the
 * renew deadline, counted from when the last successful one was sent, {@link #isLeader()} is
 * false and a {@link LeaderChange.StepDown} follows, before any follower can have seen the Lease
 * unchanged for a lease duration. A leader that sees through the watch that the Lease was taken
 * or deleted checks it at once rather than at its next renewal. Resigning clears the holder with
 * a full update.
 *
 * <p>One thread ({@code metasrv-election}) campaigns and holds leadership; the listener is called
 * on another ({@code metasrv-election-events}), in order, so a slow listener never delays a
 * renewal. This node's candidate Lease is kept by a third ({@code metasrv-election-candidate}),
 * which also deletes the candidate Leases of gone nodes while this node leads; the watch is
 * opened by a fourth ({@code metasrv-election-watch}) and delivers on fabric8's threads.
 */
public final class KubernetesLeaseElection implements Election {
  private static final Logger log = LoggerFactory.getLogger(KubernetesLeaseElection.class);

  /**
   * Reads the leader epoch stored in the backend now ({@link io.metasrv.fence.LeaderEpoch#current
   * LeaderEpoch::current} over the node's store); throws when the store cannot be read.
   */
  @FunctionalInterface
  public interface StoredEpoch {
    long read();
  }

  private final KubernetesLeaseConfig config;
  private final LeaseCalls calls;
  private final CandidateLeases candidates;
  private final StoredEpoch storedEpoch;
  private final LongSupplier nanoTime;
  private final KubernetesClient ownedClient;

  private final ElectionMetrics electionMetrics;
  private final Timer renewTimer;

  private final CampaignSignals signals;

  /** Set and cleared only by the election thread; read by anyone. */
  private volatile Leadership leadership;
  /** Written only by the election thread; read by {@link #leader()}. */
  private volatile ObservedLease observed;

  // confined to the election thread
  private long campaignNotBefore;
  /** The version of the Lease this process last wrote as its holder, or null. */
  private String versionWrittenBySelf;
  private int apiFailures;
  private int epochReadFailures;

  // set once by start()
  private volatile MetasrvNodeInfo self;
  private volatile Thread electionThread;
  private CandidateRegistration candidate;
  private LeaseWatch watch;
  private boolean closed; // guarded by this

  /**
   * @param client the Kubernetes client; the caller owns it and closes it after {@link #close()}
   * @param storedEpoch the leader epoch in the store this node's leader writes are fenced in,
   *     which every term this node takes moves past
   * @param nanoTime the monotonic clock that judges expiry and the renew deadline
   * @param wallClock only writes the Lease's {@code acquireTime} and {@code renewTime}
   */
  public KubernetesLeaseElection(KubernetesClient client, KubernetesLeaseConfig config,
      StoredEpoch storedEpoch, LongSupplier nanoTime, Clock wallClock, MeterRegistry metrics) {
    this(client, config, storedEpoch, nanoTime, wallClock, metrics, null);
  }

  private KubernetesLeaseElection(KubernetesClient client, KubernetesLeaseConfig config,
      StoredEpoch storedEpoch, LongSupplier nanoTime, Clock wallClock, MeterRegistry metrics,
      KubernetesClient ownedClient) {
    this.config = config;
    this.calls = new LeaseCalls(client, config.namespace(), wallClock);
    this.candidates = new CandidateLeases(calls, config, nanoTime);
    this.storedEpoch = storedEpoch;
    this.nanoTime = nanoTime;
    this.ownedClient = ownedClient;
    this.signals = new CampaignSignals(log, nanoTime);
    this.observed = ObservedLease.none(nanoTime.getAsLong(), config.leaseDurationSeconds());
    this.electionMetrics = new ElectionMetrics(metrics);
    this.renewTimer = Timer.builder("metasrv.election.renew")
        .description("Round trip of the leader's Lease renewals")
        .register(metrics);
  }

  /**
   * The election the options configure, on a client of its own (from the kubeconfig file, else
   * in-cluster credentials) that {@link #close()} closes.
   *
   * @param environment the process environment, for {@code POD_NAMESPACE}
   * @param storedEpoch the leader epoch of the node's store (see the constructor)
   * @throws IllegalArgumentException when no client can be configured or no namespace found
   */
  public static KubernetesLeaseElection connect(ElectionOptions options,
      Map<String, String> environment, StoredEpoch storedEpoch, MeterRegistry metrics) {
    KubernetesClient client = KubernetesClients.connect(options.kubeconfig(),
        options.retryPeriod());
    try {
      String namespace = PodNamespace.resolve(options.namespace(), environment,
          PodNamespace.SERVICE_ACCOUNT_FILE,
          Optional.ofNullable(client.getConfiguration().getNamespace()));
      return new KubernetesLeaseElection(client, KubernetesLeaseConfig.of(options, namespace),
          storedEpoch, System::nanoTime, Clock.systemUTC(), metrics, client);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  @Override
  public synchronized void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener) {
    if (this.self != null || closed) {
      throw new IllegalStateException("election already started or closed");
    }
    this.self = self;
    signals.start(self.addr(), listener);
    this.candidate = new CandidateRegistration(calls, candidates, config, self, this::isLeader);
    candidate.start();
    this.watch = new LeaseWatch(calls, config.leaseName(), config.retryPeriod(),
        this::leaseChanged);
    watch.start();
    campaignNotBefore = nanoTime.getAsLong();
    this.electionThread = new Thread(this::runElection, "metasrv-election");
    electionThread.setDaemon(true);
    electionThread.start();
    log.info("election started: addr={} lease={}/{} leaseDuration={} renewDeadline={} "
        + "retryPeriod={}", self.addr(), config.namespace(), config.leaseName(),
        config.leaseDuration(), config.renewDeadline(), config.retryPeriod());
  }

  @Override
  public Optional<String> leader() {
    if (isLeader()) {
      return Optional.of(self.addr());
    }
    MetasrvNodeInfo me = self;
    return observed.liveHolder(nanoTime.getAsLong())
        .filter(holder -> me == null || !holder.equals(me.addr()));
  }

  @Override
  public boolean isLeader() {
    Leadership held = leadership;
    return held != null && nanoTime.getAsLong() - held.validUntil < 0;
  }

  /**
   * Clears the Lease's holder, then waits until the {@link LeaderChange.StepDown} has been
   * delivered (called from the listener itself, it cannot wait for that, and returns once the
   * Lease is released). Peers watching the Lease take over at once (else at their next read);
   * this node stays out of the race for two retry periods.
   */
  @Override
  public void resign() {
    if (electionThread == null) {
      return;
    }
    signals.resign(() -> leadership != null, callsBound());
  }

  /**
   * The candidates whose Leases are live, this node included once registered.
   *
   * @throws io.metasrv.election.ElectionException when the Leases cannot be listed
   */
  @Override
  public List<MetasrvNodeInfo> allCandidates() {
    return candidates.live();
  }

  /**
   * Resigns when leading, stops campaigning and deletes this node's candidate Lease. The events
   * thread is stopped last, after the final {@link LeaderChange.StepDown} has been delivered.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (electionThread != null) {
      stopElection();
    }
    if (ownedClient != null) {
      ownedClient.close();
    }
  }

  private void stopElection() {
    signals.requestClose();
    Duration bound = callsBound();
    try {
      electionThread.join(bound.toMillis());
      if (electionThread.isAlive()) {
        log.warn("election thread did not stop within {}: addr={}", bound, self.addr());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watch.close();
    candidate.close();
    signals.stopEvents(bound);
    log.info("election closed: addr={}", self.addr());
  }

  /** Long enough for a release: a renewal in flight, then a conflict's read and retry. */
  private Duration callsBound() {
    return config.requestTimeout().multipliedBy(4).plus(config.retryPeriod()).plusSeconds(1);
  }

  // ---- the watch ----

  /** Whether this node watches the election Lease now; for tests. */
  boolean watching() {
    LeaseWatch open = watch;
    return open != null && open.isOpen();
  }

  /**
   * A watch event: wakes a follower when the Lease is free to take (released or deleted), and
   * has a leader check the Lease at once when it is no longer its own. Called on fabric8's
   * threads; everything it decides on is read again by the election thread itself.
   */
  private void leaseChanged(Watcher.Action action, Lease lease) {
    boolean deleted = action == Watcher.Action.DELETED;
    ObservedLease seen = new ObservedLease(deleted ? null : lease, 0,
        config.leaseDurationSeconds());
    Leadership held = leadership;
    if (held == null) {
      if (!seen.exists() || seen.holder().isEmpty()) {
        signals.wake();
      }
      return;
    }
    if (!seen.exists() || !seen.holder().equals(Optional.of(self.addr()))
        || seen.transitions() != held.term) {
      held.checkNow = true;
      signals.wake();
    }
  }

  // ---- the election thread ----

  private void runElection() {
    while (true) {
      try {
        Leadership held = leadership;
        if (held != null) {
          tendLeadership(held);
          continue;
        }
        signals.answerResign();
        if (signals.closing()) {
          return;
        }
        pursueLeadership();
      } catch (KubernetesClientException e) {
        if (apiFailures++ == 0) {
          log.warn("election: API server call failed, retrying every {}: addr={} error={}",
              config.retryPeriod(), self.addr(), LeaseCalls.describe(e));
        }
        signals.awaitWakeUp(nanoTime.getAsLong() + config.retryPeriod().toNanos(),
            signals::closing);
      } catch (KvException e) {
        if (epochReadFailures++ == 0) {
          log.warn("election: cannot read the stored leader epoch, not campaigning until it can,"
              + " retrying every {}: addr={} error={}", config.retryPeriod(), self.addr(),
              e.getMessage());
        }
        signals.awaitWakeUp(nanoTime.getAsLong() + config.retryPeriod().toNanos(),
            signals::closing);
      } catch (RuntimeException e) {
        if (apiFailures++ == 0) {
          log.error("election: unexpected failure, retrying: addr={}", self.addr(), e);
        }
        signals.awaitWakeUp(nanoTime.getAsLong() + config.retryPeriod().toNanos(),
            signals::closing);
      }
    }
  }

  /** One step while not leading: read the Lease, take it when it is free or expired, wait. */
  private void pursueLeadership() {
    long startedAt = nanoTime.getAsLong();
    if (startedAt - campaignNotBefore < 0) {
      signals.awaitWakeUp(campaignNotBefore, signals::closing);
      return;
    }
    ObservedLease seen = observe(calls.get(config.leaseName()));
    apiReachable();
    if (!seen.exists()) {
      create(seen);
    } else if (seen.mayBeTakenBy(self.addr(), versionWrittenBySelf, nanoTime.getAsLong())) {
      acquire(seen);
    }
    if (leadership != null) {
      return;
    }
    long nextRead = startedAt + config.retryPeriod().toNanos();
    long expiresAt = observed.expiresAtNanos();
    if (observed.holder().isPresent() && expiresAt - nanoTime.getAsLong() > 0
        && expiresAt - nextRead < 0) {
      nextRead = expiresAt; // take over as soon as it expires, not up to a retry period later
    }
    signals.awaitWakeUp(nextRead, signals::closing);
  }

  /**
   * The term to write when taking {@code seen}: past both its transitions and the stored epoch
   * (read now, before the write), see the class comment.
   */
  private long nextTerm(ObservedLease seen) {
    long stored = storedEpoch.read();
    if (epochReadFailures > 0) {
      log.info("election: stored leader epoch readable again after {} failed attempts: addr={}",
          epochReadFailures, self.addr());
      epochReadFailures = 0;
    }
    if (stored > seen.transitions()) {
      log.info("election Lease transitions {} are behind the stored leader epoch {} (the Lease "
          + "was deleted or recreated, or the store is older than it): taking term {}: addr={}",
          seen.transitions(), stored, stored + 1, self.addr());
    }
    return Math.max(seen.transitions(), stored) + 1;
  }

  private void create(ObservedLease absent) {
    int term = Math.toIntExact(nextTerm(absent));
    long sentAt = nanoTime.getAsLong();
    ZonedDateTime now = calls.microTimeNow();
    Lease lease = new LeaseBuilder()
        .withNewMetadata()
          .withName(config.leaseName())
          .withNamespace(config.namespace())
        .endMetadata()
        .withNewSpec()
          .withHolderIdentity(self.addr())
          .withLeaseDurationSeconds(config.leaseDurationSeconds())
          .withAcquireTime(now)
          .withRenewTime(now)
          .withLeaseTransitions(term)
        .endSpec()
        .build();
    Lease created;
    try {
      created = calls.create(lease);
    } catch (KubernetesClientException e) {
      if (LeaseCalls.isConflict(e)) {
        log.debug("lost the race to create the election Lease: addr={}", self.addr());
        observeWinner();
        return;
      }
      throw e;
    }
    won(observe(created), sentAt);
  }

  private void acquire(ObservedLease seen) {
    int term = Math.toIntExact(nextTerm(seen));
    long sentAt = nanoTime.getAsLong();
    ZonedDateTime now = calls.microTimeNow();
    Lease taken = new LeaseBuilder(seen.lease())
        .editOrNewSpec()
          .withHolderIdentity(self.addr())
          .withLeaseDurationSeconds(config.leaseDurationSeconds())
          .withAcquireTime(now)
          .withRenewTime(now)
          .withLeaseTransitions(term)
        .endSpec()
        .build();
    Lease written;
    try {
      written = calls.update(taken);
    } catch (KubernetesClientException e) {
      if (LeaseCalls.isConflict(e)) {
        log.debug("lost the race for the election Lease: addr={} version={}", self.addr(),
            seen.resourceVersion());
        observeWinner();
        return;
      }
      throw e;
    }
    log.info("election Lease taken over: addr={} previousHolder={} transitions={}",
        self.addr(), seen.holder().orElse("<released>"), term);
    won(observe(written), sentAt);
  }

  /**
   * Reads the Lease a peer has just written, so that its expiry counts from now rather than
   * from the next read a retry period later: a winner that crashes at once is replaced a lease
   * duration after it won, not a lease duration and a retry period.
   */
  private void observeWinner() {
    observe(calls.get(config.leaseName()));
  }

  private void won(ObservedLease written, long sentAt) {
    versionWrittenBySelf = written.resourceVersion();
    Leadership won = new Leadership(written.transitions(), written.lease(), sentAt,
        config.renewDeadline().toNanos(), config.retryPeriod().toNanos());
    if (nanoTime.getAsLong() - won.validUntil >= 0) {
      log.warn("election Lease won too slowly to be sure of it, releasing it: addr={} term={}",
          self.addr(), won.term);
      clearHolder(won);
      return;
    }
    leadership = won;
    electionMetrics.elected(won.term);
    log.info("leader elected: addr={} term={}", self.addr(), won.term);
    signals.publish(new LeaderChange.Elected(self.addr(), won.term));
  }

  /** One step while leading: resign, step down, renew, or wait for the next renewal. */
  private void tendLeadership(Leadership held) {
    if (signals.closing() || signals.resignRequested()) {
      release(held, signals.closing() ? "closing" : "resigned");
      return;
    }
    long now = nanoTime.getAsLong();
    if (now - held.validUntil >= 0) {
      stepDown(held, "Lease not renewed for " + millis(now - held.confirmedAt)
          + " ms, past the renew deadline of " + config.renewDeadline());
      return;
    }
    if (now - held.nextRenewAt >= 0 || held.checkNow) {
      held.checkNow = false;
      renew(held);
      return;
    }
    signals.awaitWakeUp(Math.min(held.nextRenewAt, held.validUntil), () -> false);
  }

  private void renew(Leadership held) {
    long sentAt = nanoTime.getAsLong();
    try {
      Lease written = calls.update(new LeaseBuilder(held.lease)
          .editSpec().withRenewTime(calls.microTimeNow()).endSpec()
          .build());
      renewTimer.record(nanoTime.getAsLong() - sentAt, TimeUnit.NANOSECONDS);
      observe(written);
      versionWrittenBySelf = written.getMetadata().getResourceVersion();
      held.renewed(written, sentAt);
      if (held.failures > 0) {
        log.info("leader Lease renewed again after {} failed attempts: addr={} term={}",
            held.failures, self.addr(), held.term);
        held.failures = 0;
      }
    } catch (KubernetesClientException e) {
      if (LeaseCalls.isConflict(e)) {
        renewAfterConflict(held);
        return;
      }
      if (LeaseCalls.isNotFound(e)) {
        // a peer may create it anew at once: nothing holds it for this node any more
        stepDown(held, "election Lease deleted");
        return;
      }
      if (held.failures++ == 0) {
        log.warn("leader Lease renewal failed, retrying every {}; stepping down in {} ms unless "
            + "one succeeds: addr={} term={} error={}", config.retryPeriod(),
            millis(held.validUntil - nanoTime.getAsLong()), self.addr(), held.term,
            LeaseCalls.describe(e));
      }
      held.nextRenewAt = sentAt + config.retryPeriod().toNanos();
    }
  }

  /**
   * Someone wrote the Lease since this node's last write: a renewal that timed out but landed,
   * or another writer (a person with kubectl). Still ours when the holder and the transitions
   * are: renew on the new version at once. Otherwise a peer took it over, so step down.
   */
  private void renewAfterConflict(Leadership held) {
    ObservedLease seen;
    try {
      seen = observe(calls.get(config.leaseName()));
    } catch (KubernetesClientException e) {
      held.nextRenewAt = nanoTime.getAsLong() + config.retryPeriod().toNanos();
      return;
    }
    if (seen.holder().equals(Optional.of(self.addr())) && seen.transitions() == held.term) {
      log.info("election Lease changed by another writer, renewing on its new version: addr={} "
          + "term={} version={}", self.addr(), held.term, seen.resourceVersion());
      held.lease = seen.lease();
      held.nextRenewAt = nanoTime.getAsLong();
      return;
    }
    stepDown(held, "Lease taken over by " + seen.holder().orElse("<nobody>")
        + " with transitions " + seen.transitions());
  }

  /** Stops leading first, then clears the holder so that a peer takes over at its next read. */
  private void release(Leadership held, String reason) {
    stepDown(held, reason);
    clearHolder(held);
    campaignNotBefore = nanoTime.getAsLong() + config.resignPause().toNanos();
    signals.answerResign();
  }

  /** Writes the Lease without a holder, if it is still this leadership's. */
  private void clearHolder(Leadership held) {
    Lease ours = held.lease;
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        observe(calls.update(new LeaseBuilder(ours)
            .editSpec().withHolderIdentity(null).withRenewTime(calls.microTimeNow()).endSpec()
            .build()));
        return;
      } catch (KubernetesClientException e) {
        if (LeaseCalls.isNotFound(e)) {
          return; // deleted: nothing to release
        }
        if (!LeaseCalls.isConflict(e)) {
          log.warn("could not release the election Lease, peers take over when it expires: "
              + "addr={} term={} error={}", self.addr(), held.term, LeaseCalls.describe(e));
          return;
        }
      }
      try {
        ObservedLease seen = observe(calls.get(config.leaseName()));
        if (!seen.holder().equals(Optional.of(self.addr())) || seen.transitions() != held.term) {
          return; // a peer holds it already
        }
        ours = seen.lease();
      } catch (KubernetesClientException e) {
        log.warn("could not release the election Lease, peers take over when it expires: "
            + "addr={} term={} error={}", self.addr(), held.term, LeaseCalls.describe(e));
        return;
      }
    }
  }

  private void stepDown(Leadership held, String reason) {
    leadership = null;
    electionMetrics.steppedDown();
    log.info("leader stepped down: addr={} term={} reason={}", self.addr(), held.term, reason);
    signals.publish(new LeaderChange.StepDown(self.addr()));
  }

  private ObservedLease observe(Lease read) {
    ObservedLease next = observed.next(read, nanoTime.getAsLong());
    observed = next;
    return next;
  }

  private void apiReachable() {
    if (apiFailures > 0) {
      log.info("election: API server reachable again after {} failed attempts: addr={}",
          apiFailures, self.addr());
      apiFailures = 0;
    }
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** This node's hold on the election Lease. */
  private static final class Leadership {
    final long term;
    final long renewDeadlineNanos;
    final long retryPeriodNanos;
    /** The Lease as this node last wrote it: the base (and version) of the next write. */
    Lease lease;
    volatile long confirmedAt;
    /** Until when this node may say it leads: the renew deadline after the last renewal. */
    volatile long validUntil;
    long nextRenewAt;
    int failures;
    /** Set by the watch when the Lease no longer looks like this leadership's. */
    volatile boolean checkNow;

    Leadership(long term, Lease lease, long sentAt, long renewDeadlineNanos,
        long retryPeriodNanos) {
      this.term = term;
      this.renewDeadlineNanos = renewDeadlineNanos;
      this.retryPeriodNanos = retryPeriodNanos;
      renewed(lease, sentAt);
    }

    /**
     * A write sent at {@code sentAt} succeeded: no follower saw that version before it was
     * sent, so none can take the Lease over before {@code sentAt} plus the lease duration.
     */
    void renewed(Lease written, long sentAt) {
      lease = written;
      confirmedAt = sentAt;
      validUntil = sentAt + renewDeadlineNanos;
      nextRenewAt = sentAt + retryPeriodNanos;
    }
  }
}
