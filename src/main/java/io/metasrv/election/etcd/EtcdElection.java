package io.metasrv.election.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.metasrv.election.CampaignSignals;
import io.metasrv.election.Election;
import io.metasrv.election.ElectionException;
import io.metasrv.election.ElectionMetrics;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election over etcd, with the semantics of etcd's {@code concurrency} package.
 *
 * <p>The leader key {@value #ELECTION_KEY} holds the leader's {@code server_addr} on a lease
 * that the leader keeps alive; whoever creates the key leads, and the key's create revision is
 * the term (etcd revisions only grow, so every later leader's term is larger). Followers watch
 * the key and campaign again when it is deleted, by a resign or by its lease expiring.
 *
 * <p>A leader whose lease renewals have not succeeded for {@code ttl - keepAliveInterval},
 * counted on the local monotonic clock from when the last successful renewal was sent, stops
 * being leader: from that instant {@link #isLeader()} is false, and a {@link
 * LeaderChange.StepDown} follows. etcd cannot have let the lease expire yet, so no peer can
 * have been elected while this node still says it leads.
 *
 * <p>One thread ({@code metasrv-election}) campaigns and holds leadership; the listener is
 * called on another ({@code metasrv-election-events}), in order, so a slow listener never
 * delays a lease renewal. Candidates are registered under {@value #CANDIDATES_ROOT} on a lease
 * of their own, renewed by a third thread ({@code metasrv-election-candidate}).
 */
public final class EtcdElection implements Election {
  public static final String ELECTION_KEY = "__metasrv_election";
  public static final String CANDIDATES_ROOT = "__metasrv_election_candidates/";

  private static final Logger log = LoggerFactory.getLogger(EtcdElection.class);
  /** GreptimeDB's MetasrvNodeInfo serde: snake_case, and newer fields are ignored. */
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Client client;
  private final EtcdElectionConfig config;
  private final LongSupplier nanoTime;
  private final ByteSequence leaderKey;
  private final String candidatesRoot;
  private final LeaderKeyWatch leaderWatch;
  private final RetryBackoff backoff;

  private final ElectionMetrics electionMetrics;
  private final Timer keepAliveTimer;

  private final CampaignSignals signals;

  /** Set and cleared only by the election thread; read by anyone. */
  private volatile Leadership leadership;

  // confined to the election thread (and to close() once that thread has ended)
  private long abandonedLease;
  private long campaignNotBefore;
  private long followingCheckedAt;
  private int keepAliveFailures;

  // set once by start()
  private volatile MetasrvNodeInfo self;
  private volatile Thread electionThread;
  private CandidateRegistration candidate;
  private boolean closed; // guarded by this

  /**
   * @param client the etcd client; the caller owns it and closes it after {@link #close()}
   * @param keyPrefix {@code store_key_prefix}, put before both keys; may be empty
   * @param nanoTime the monotonic clock that judges how old this node's lease is
   */
  public EtcdElection(Client client, String keyPrefix, EtcdElectionConfig config,
      LongSupplier nanoTime, MeterRegistry metrics) {
    this.client = client;
    this.config = config;
    this.nanoTime = nanoTime;
    this.leaderKey = bytes(keyPrefix + ELECTION_KEY);
    this.candidatesRoot = keyPrefix + CANDIDATES_ROOT;
    this.signals = new CampaignSignals(log, nanoTime);
    this.leaderWatch = new LeaderKeyWatch(client, leaderKey, config.requestTimeout(),
        signals::wake);
    this.backoff = new RetryBackoff(config.retryBackoff(), config.maxRetryBackoff());
    this.electionMetrics = new ElectionMetrics(metrics);
    this.keepAliveTimer = Timer.builder("metasrv.election.keepalive")
        .description("Round trip of the leader's lease renewals")
        .register(metrics);
  }

  @Override
  public synchronized void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener) {
    if (this.self != null || closed) {
      throw new IllegalStateException("election already started or closed");
    }
    this.self = self;
    signals.start(self.addr(), listener);
    this.candidate = new CandidateRegistration(client, candidatesRoot + self.addr(),
        ByteSequence.from(toJson(self)), config);
    candidate.start();
    // nanoTime values are only comparable with each other, so the clocks start from now
    campaignNotBefore = nanoTime.getAsLong();
    followingCheckedAt = campaignNotBefore;
    this.electionThread = new Thread(this::runElection, "metasrv-election");
    electionThread.setDaemon(true);
    electionThread.start();
    log.info("election started: addr={} key={}", self.addr(), leaderKey.toString(
        StandardCharsets.UTF_8));
  }

  @Override
  public Optional<String> leader() {
    if (isLeader()) {
      return Optional.of(self.addr());
    }
    return leaderWatch.leaderAddr();
  }

  @Override
  public boolean isLeader() {
    Leadership held = leadership;
    return held != null && nanoTime.getAsLong() < held.validUntil;
  }

  /**
   * Releases the leader key, then waits until the {@link LeaderChange.StepDown} has been
   * delivered (called from the listener itself, it cannot wait for that, and returns once the
   * key is released). Peers watching the key campaign at once; this node stays out of the race
   * for {@code resignPause}.
   */
  @Override
  public void resign() {
    if (electionThread == null) {
      return;
    }
    signals.resign(() -> leadership != null, config.requestTimeout().multipliedBy(2)
        .plus(config.leaderKeepAliveInterval()).plusSeconds(1));
  }

  /**
   * The registered candidates, this node included once registered.
   *
   * @throws ElectionException when etcd cannot be read
   */
  @Override
  public List<MetasrvNodeInfo> allCandidates() {
    GetResponse listed = EtcdCalls.await("list candidates", client.getKVClient().get(
        bytes(candidatesRoot), GetOption.builder().isPrefix(true).build()),
        config.requestTimeout());
    List<MetasrvNodeInfo> candidates = new ArrayList<>();
    for (KeyValue kv : listed.getKvs()) {
      try {
        candidates.add(JSON.readValue(kv.getValue().getBytes(), MetasrvNodeInfo.class));
      } catch (IOException e) {
        log.warn("skipping candidate with unreadable node info: key={} error={}",
            kv.getKey().toString(StandardCharsets.UTF_8), e.getMessage());
      }
    }
    return candidates;
  }

  /**
   * Resigns when leading, stops campaigning and deregisters this node. The events thread is
   * stopped last, after the final {@link LeaderChange.StepDown} has been delivered.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (electionThread == null) {
      leaderWatch.close();
      return;
    }
    signals.requestClose();
    Duration bound = config.requestTimeout().multipliedBy(3)
        .plus(config.leaderKeepAliveInterval()).plusSeconds(1);
    try {
      electionThread.join(bound.toMillis());
      if (electionThread.isAlive()) {
        log.warn("election thread did not stop within {}: addr={}", bound, self.addr());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    candidate.close();
    leaderWatch.close();
    if (!electionThread.isAlive() && abandonedLease != 0) {
      try {
        revokeAbandonedLease();
      } catch (ElectionException e) {
        log.warn("could not revoke leader lease on close; it expires by itself: addr={} "
            + "error={}", self.addr(), e.getMessage());
      }
    }
    signals.stopEvents(bound);
    log.info("election closed: addr={}", self.addr());
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
        if (backoff.failures() > 0) {
          log.info("election: etcd reachable again after {} failed attempts: addr={}",
              backoff.failures(), self.addr());
          backoff.reset();
        }
      } catch (ElectionException e) {
        Duration pause = backoff.next();
        if (backoff.isFirstFailure()) {
          log.warn("election: etcd unavailable, retrying every {} at most: addr={} error={}",
              config.maxRetryBackoff(), self.addr(), e.getMessage());
        }
        signals.awaitWakeUp(nanoTime.getAsLong() + pause.toNanos(), signals::closing);
      } catch (RuntimeException e) {
        Duration pause = backoff.next();
        if (backoff.isFirstFailure()) {
          log.error("election: unexpected failure, retrying: addr={}", self.addr(), e);
        }
        signals.awaitWakeUp(nanoTime.getAsLong() + pause.toNanos(), signals::closing);
      }
    }
  }

  /** One step while not leading: clean up, then wait for the leader key to be free, or take it. */
  private void pursueLeadership() {
    if (abandonedLease != 0) {
      revokeAbandonedLease();
    }
    leaderWatch.ensureWatching();
    long now = nanoTime.getAsLong();
    if (now < campaignNotBefore) {
      signals.awaitWakeUp(campaignNotBefore, signals::closing);
      return;
    }
    LeaderKeyWatch.View view = leaderWatch.view();
    if (view.current() && view.holder().isPresent()) {
      if (now - followingCheckedAt >= config.leaderLeaseTtl().toNanos()) {
        followingCheckedAt = now;
        leaderWatch.refresh();
        return;
      }
      // the watch wakes this thread when the key goes
      signals.awaitWakeUp(followingCheckedAt + config.leaderLeaseTtl().toNanos(), signals::closing);
      return;
    }
    campaign();
  }

  private void campaign() {
    long sentAt = nanoTime.getAsLong();
    LeaseGrantResponse grant = EtcdCalls.await("grant leader lease",
        client.getLeaseClient().grant(config.leaderLeaseTtl().toSeconds()),
        config.requestTimeout());
    abandonedLease = grant.getID(); // until the campaign has won
    TxnResponse txn = EtcdCalls.await("campaign", client.getKVClient().txn()
        .If(new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(leaderKey, bytes(self.addr()),
            PutOption.builder().withLeaseId(grant.getID()).build()))
        .Else(Op.get(leaderKey, GetOption.DEFAULT))
        .commit(), config.requestTimeout());
    if (!txn.isSucceeded()) {
      leaderWatch.observed(txn.getHeader().getRevision(),
          txn.getGetResponses().get(0).getKvs().stream().findFirst());
      revokeAbandonedLease();
      return;
    }
    if (grant.getTTL() != config.leaderLeaseTtl().toSeconds()) {
      log.warn("etcd granted the leader lease {}s instead of {}s: addr={}", grant.getTTL(),
          config.leaderLeaseTtl().toSeconds(), self.addr());
    }
    Leadership won = new Leadership(txn.getHeader().getRevision(), grant.getID(),
        TimeUnit.SECONDS.toNanos(grant.getTTL()), config.leaderKeepAliveInterval().toNanos(),
        sentAt);
    if (nanoTime.getAsLong() >= won.validUntil) {
      log.warn("campaign won too slowly to be sure of the lease, letting it go: addr={} term={}",
          self.addr(), won.term);
      revokeAbandonedLease();
      return;
    }
    abandonedLease = 0;
    keepAliveFailures = 0;
    leadership = won;
    electionMetrics.elected(won.term);
    log.info("leader elected: addr={} term={} lease={}", self.addr(), won.term,
        Long.toHexString(won.leaseId));
    signals.publish(new LeaderChange.Elected(self.addr(), won.term));
  }

  /** One step while leading: resign, step down, renew the lease, or wait for the next renewal. */
  private void tendLeadership(Leadership held) {
    long now = nanoTime.getAsLong();
    if (signals.closing() || signals.resignRequested()) {
      release(held, signals.closing() ? "closing" : "resigned");
      return;
    }
    if (now >= held.validUntil) {
      abandonedLease = held.leaseId;
      stepDown(held, "lease not renewed for " + millis(now - held.confirmedAt)
          + " ms, it could expire at etcd soon");
      return;
    }
    LeaderKeyWatch.View view = leaderWatch.view();
    if (view.current() && view.revision() >= held.term
        && view.holder().map(h -> h.createRevision() != held.term).orElse(true)) {
      abandonedLease = held.leaseId;
      stepDown(held, "leader key deleted or replaced in etcd");
      return;
    }
    if (!view.current() && held.validUntil - now > config.requestTimeout().toNanos()) {
      restartWatchWhileLeading();
    }
    if (now >= held.nextKeepAliveAt) {
      keepAlive(held);
      return;
    }
    signals.awaitWakeUp(Math.min(held.nextKeepAliveAt, held.validUntil), () -> false);
  }

  private void keepAlive(Leadership held) {
    long sentAt = nanoTime.getAsLong();
    CompletableFuture<LeaseKeepAliveResponse> renewal =
        client.getLeaseClient().keepAliveOnce(held.leaseId);
    renewal.whenComplete((response, failure) -> signals.wake());
    long giveUpAt = Math.min(sentAt + held.keepAliveIntervalNanos, held.validUntil);
    while (!renewal.isDone() && nanoTime.getAsLong() < giveUpAt && !signals.closing()
        && !signals.resignRequested()) {
      signals.awaitWakeUp(giveUpAt, renewal::isDone);
    }
    if (!renewal.isDone()) {
      renewal.cancel(false);
      if (!signals.closing() && !signals.resignRequested()) {
        noteKeepAliveFailure(held, "no answer from etcd");
        held.nextKeepAliveAt = nanoTime.getAsLong();
      }
      return;
    }
    try {
      renewal.join();
    } catch (CompletionException | CancellationException e) {
      if (EtcdCalls.isLeaseNotFound(e)) {
        stepDown(held, "lease expired at etcd");
        return;
      }
      noteKeepAliveFailure(held, EtcdCalls.describe(e));
      held.nextKeepAliveAt = nanoTime.getAsLong()
          + Math.min(config.retryBackoff().toNanos(), held.keepAliveIntervalNanos);
      return;
    }
    keepAliveTimer.record(nanoTime.getAsLong() - sentAt, TimeUnit.NANOSECONDS);
    held.confirmed(sentAt);
    if (keepAliveFailures > 0) {
      log.info("leader lease renewed again after {} failed attempts: addr={} term={}",
          keepAliveFailures, self.addr(), held.term);
      keepAliveFailures = 0;
    }
  }

  private void noteKeepAliveFailure(Leadership held, String error) {
    if (keepAliveFailures++ == 0) {
      log.warn("leader lease renewal failed, retrying; stepping down in {} ms unless one "
          + "succeeds: addr={} term={} error={}",
          millis(held.validUntil - nanoTime.getAsLong()), self.addr(), held.term, error);
    }
  }

  private void restartWatchWhileLeading() {
    try {
      leaderWatch.ensureWatching();
    } catch (ElectionException e) {
      log.debug("leader key watch not restarted: addr={} error={}", self.addr(), e.getMessage());
    }
  }

  /** Stops leading first, then deletes the leader key if it is still ours, and revokes. */
  private void release(Leadership held, String reason) {
    stepDown(held, reason);
    try {
      EtcdCalls.await("release leader key", client.getKVClient().txn()
          .If(new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.createRevision(held.term)))
          .Then(Op.delete(leaderKey, DeleteOption.DEFAULT))
          .commit(), config.requestTimeout());
      abandonedLease = held.leaseId;
      revokeAbandonedLease();
    } catch (ElectionException e) {
      abandonedLease = held.leaseId;
      log.warn("could not release leadership, peers take over when the lease expires: addr={} "
          + "term={} error={}", self.addr(), held.term, e.getMessage());
    }
    campaignNotBefore = nanoTime.getAsLong() + config.resignPause().toNanos();
    signals.answerResign();
  }

  private void stepDown(Leadership held, String reason) {
    leadership = null;
    electionMetrics.steppedDown();
    log.info("leader stepped down: addr={} term={} reason={}", self.addr(), held.term, reason);
    signals.publish(new LeaderChange.StepDown(self.addr()));
  }

  /** Revokes a lease this node no longer uses, so a key it may carry cannot block peers. */
  private void revokeAbandonedLease() {
    try {
      EtcdCalls.await("revoke leader lease", client.getLeaseClient().revoke(abandonedLease),
          config.requestTimeout());
    } catch (ElectionException e) {
      if (!EtcdCalls.isLeaseNotFound(e)) {
        throw e;
      }
    }
    abandonedLease = 0;
  }

  private static byte[] toJson(MetasrvNodeInfo info) {
    try {
      return JSON.writeValueAsBytes(info);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write node info " + info + " as JSON", e);
    }
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** This node's hold on the leader key. */
  private static final class Leadership {
    final long term;
    final long leaseId;
    final long ttlNanos;
    final long keepAliveIntervalNanos;
    volatile long confirmedAt;
    /** Until when this node may say it leads: {@code ttl - interval} after the last renewal. */
    volatile long validUntil;
    long nextKeepAliveAt;

    Leadership(long term, long leaseId, long ttlNanos, long keepAliveIntervalNanos,
        long grantSentAt) {
      this.term = term;
      this.leaseId = leaseId;
      this.ttlNanos = ttlNanos;
      this.keepAliveIntervalNanos = keepAliveIntervalNanos;
      confirmed(grantSentAt);
    }

    /**
     * A renewal sent at {@code sentAt} succeeded: etcd restarted the lease no earlier than
     * that, so it cannot expire before {@code sentAt + ttl}.
     */
    void confirmed(long sentAt) {
      confirmedAt = sentAt;
      validUntil = sentAt + ttlNanos - keepAliveIntervalNanos;
      nextKeepAliveAt = sentAt + keepAliveIntervalNanos;
    }
  }
}
