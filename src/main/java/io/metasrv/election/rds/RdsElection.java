package io.metasrv.election.rds;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.metasrv.election.CampaignSignals;
import io.metasrv.election.Election;
import io.metasrv.election.ElectionException;
import io.metasrv.election.ElectionMetrics;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import io.metasrv.fence.LeaderEpoch;
import io.metasrv.kv.Bytes;
import io.metasrv.kv.rds.RdsConnections;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.SqlFailures;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election in a SQL store's meta table, as GreptimeDB's PostgreSQL and MySQL elections
 * keep it: a session lock ({@link ElectionSql}: PostgreSQL's advisory lock {@code
 * meta_election_lock_id}, MySQL's {@code GET_LOCK}) held on a connection of the election's own,
 * and under {@code <store_key_prefix>__metasrv_election} the leader's address with an expiry
 * written by the database's clock; candidates under {@code
 * <store_key_prefix>__metasrv_election_candidates/<addr>} with the node info as JSON and an
 * expiry.
 *
 * <p>Only the lock holder writes the leader value. Holding the lock is not enough to lead: a
 * node that takes the lock while the value names another node whose expiry has not passed (a
 * leader whose session just died, say by {@code pg_terminate_backend} or {@code KILL}) waits
 * for that expiry, on the database's clock, before it writes its own value and leads. The leader
 * renews the value every {@code renew_interval} and stops saying it leads {@code ttl -
 * renew_interval} after its last successful renewal was sent, on its own monotonic clock; the
 * renewal's expiry is the database's time when it ran plus the ttl, later than when it was
 * sent, so a leader that loses its connection or cannot renew has stepped down before its value
 * expires and anyone else can lead. A renewal that finds the value no longer its own, or any
 * failure of the session, ends the leadership at once.
 *
 * <p>Terms: a winner stores the next term under {@code <store_key_prefix>__metasrv_election_term},
 * one more than both the last term and the stored leader epoch ({@link LeaderEpoch}), while it
 * holds the lock, and reports it in {@link LeaderChange.Elected}; so terms only grow, and the
 * fencing epoch taken from them always moves forward, even over epochs another election stored.
 *
 * <p>Resigning (and closing) deletes the leader value and releases the lock at once; peers take
 * over at their next try, within a retry period. One thread ({@code metasrv-election}) campaigns,
 * holds leadership and keeps this node's candidate entry; the listener is called on another
 * ({@code metasrv-election-events}), in order.
 */
public final class RdsElection implements Election {
  private static final Logger log = LoggerFactory.getLogger(RdsElection.class);
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final RdsEndpoint endpoint;
  private final ElectionSql sql;
  private final RdsElectionConfig config;
  private final LongSupplier nanoTime;
  private final ElectionMetrics metrics;
  private final CampaignSignals signals;
  private final byte[] electionKey;
  private final byte[] candidateRoot;
  private final byte[] termKey;
  private final byte[] epochKey;

  /** Set and cleared only by the election thread; read by anyone. */
  private volatile Leadership leadership;
  /** The leader last seen by a follower, with when (local clock) it lapses. */
  private volatile ObservedLeader observed;

  // confined to the election thread
  private Connection session;
  private boolean lockHeld;
  private long campaignNotBefore;
  private long candidateRenewAt;
  private int failures;

  // set once by start()
  private volatile MetasrvNodeInfo self;
  private volatile Thread electionThread;
  private boolean closed; // guarded by this

  /**
   * @param endpoint the database; the election opens connections of its own to it
   * @param sql the database's lock and statements
   * @param keyPrefix {@code store_key_prefix}
   * @param nanoTime the monotonic clock that judges the leader's validity
   */
  public RdsElection(RdsEndpoint endpoint, ElectionSql sql, String keyPrefix,
      RdsElectionConfig config, LongSupplier nanoTime, MeterRegistry registry) {
    this.endpoint = endpoint;
    this.sql = sql;
    this.config = config;
    this.nanoTime = nanoTime;
    this.metrics = new ElectionMetrics(registry);
    this.signals = new CampaignSignals(log, nanoTime);
    this.electionKey = Bytes.utf8(keyPrefix + "__metasrv_election");
    this.candidateRoot = Bytes.utf8(keyPrefix + "__metasrv_election_candidates/");
    this.termKey = Bytes.utf8(keyPrefix + "__metasrv_election_term");
    this.epochKey = Bytes.utf8(keyPrefix + LeaderEpoch.KEY);
  }

  @Override
  public synchronized void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener) {
    if (this.self != null || closed) {
      throw new IllegalStateException("election already started or closed");
    }
    this.self = self;
    signals.start(self.addr(), listener);
    campaignNotBefore = nanoTime.getAsLong();
    candidateRenewAt = campaignNotBefore;
    electionThread = new Thread(this::runElection, "metasrv-election");
    electionThread.setDaemon(true);
    electionThread.start();
    log.info("election started: addr={} store={} lock={} leaseTtl={} renewInterval={}"
        + " retryPeriod={}", self.addr(), endpoint.describe(), sql.lockDescription(),
        config.leaderLeaseTtl(), config.renewInterval(), config.retryPeriod());
  }

  @Override
  public Optional<String> leader() {
    if (isLeader()) {
      return Optional.of(self.addr());
    }
    ObservedLeader seen = observed;
    MetasrvNodeInfo me = self;
    if (seen == null || nanoTime.getAsLong() - seen.lapsesAt >= 0
        || me != null && seen.addr.equals(me.addr())) {
      return Optional.empty();
    }
    return Optional.of(seen.addr);
  }

  @Override
  public boolean isLeader() {
    Leadership held = leadership;
    return held != null && nanoTime.getAsLong() - held.validUntil < 0;
  }

  /**
   * Deletes the leader value and releases the lock, then waits until the {@link
   * LeaderChange.StepDown} has been delivered (from the listener itself, until released).
   */
  @Override
  public void resign() {
    if (electionThread == null) {
      return;
    }
    signals.resign(() -> leadership != null, callsBound());
  }

  /**
   * The candidates whose entries have not expired, read on a connection of this call's own.
   *
   * @throws ElectionException when the database cannot be read
   */
  @Override
  public List<MetasrvNodeInfo> allCandidates() {
    try (Connection connection = RdsConnections.open(endpoint, config.connectTimeout(),
        config.connectTimeout());
        PreparedStatement statement = connection.prepareStatement(sql.rangeWithLease())) {
      statement.setBytes(1, candidateRoot);
      statement.setBytes(2, Bytes.prefixEnd(candidateRoot));
      List<MetasrvNodeInfo> live = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          Optional<LeaseValue> entry = LeaseValue.parse(rows.getBytes(1), rows.getString(2));
          if (entry.isPresent() && entry.get().live()) {
            live.add(JSON.readValue(entry.get().value(), MetasrvNodeInfo.class));
          }
        }
      }
      return live;
    } catch (SQLException e) {
      throw new ElectionException("cannot read the election candidates from "
          + endpoint.flavor().displayName() + " at " + endpoint.describe() + ": "
          + SqlFailures.message(e), e);
    } catch (IOException e) {
      throw new ElectionException("a candidate entry is not node info JSON", e);
    }
  }

  /** Resigns when leading, stops campaigning and deletes this node's candidate entry. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (electionThread == null) {
      return;
    }
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
    signals.stopEvents(bound);
    log.info("election closed: addr={}", self.addr());
  }

  /** Long enough for a statement on a slow session and a reconnection. */
  private Duration callsBound() {
    return config.connectTimeout().multipliedBy(2).plus(config.leaderLeaseTtl());
  }

  // ---- the election thread ----

  private void runElection() {
    try {
      while (true) {
        try {
          Leadership held = leadership;
          if (held != null) {
            tendLeadership(held);
            continue;
          }
          signals.answerResign();
          if (signals.closing()) {
            withdrawCandidate();
            return;
          }
          pursueLeadership();
        } catch (SQLException e) {
          sessionFailed(e);
        }
      }
    } finally {
      closeSession();
    }
  }

  /** One step while not leading: keep the candidate entry, try the lock, lead if free. */
  private void pursueLeadership() throws SQLException {
    long startedAt = nanoTime.getAsLong();
    if (startedAt - campaignNotBefore < 0) {
      signals.awaitWakeUp(campaignNotBefore, signals::closing);
      return;
    }
    Connection connection = session();
    keepCandidate(connection);
    if (!lockHeld) {
      lockHeld = sql.tryLock(connection);
    }
    Optional<LeaseValue> leader = readLeader(connection);
    observe(leader, startedAt);
    reachable();
    if (lockHeld && leader.map(value -> !value.live()
        || value.value().equals(self.addr())).orElse(true)) {
      win(connection, startedAt);
      return;
    }
    long next = startedAt + config.retryPeriod().toNanos();
    if (lockHeld && leader.isPresent()) {
      // the lock is ours but the last leader's value has not lapsed: take over when it does
      next = Math.min(next, startedAt + TimeUnit.MILLISECONDS.toNanos(
          Math.max(1, leader.get().millisLeft())));
    }
    signals.awaitWakeUp(next, signals::closing);
  }

  private void win(Connection connection, long sentAt) throws SQLException {
    long term = nextTerm(connection);
    writeLeader(connection);
    Leadership won = new Leadership(term, sentAt);
    if (nanoTime.getAsLong() - won.validUntil >= 0) {
      log.warn("won the election too slowly to be sure of it, releasing it: addr={} term={}",
          self.addr(), term);
      releaseLock(connection);
      return;
    }
    leadership = won;
    metrics.elected(term);
    log.info("leader elected: addr={} term={}", self.addr(), term);
    signals.publish(new LeaderChange.Elected(self.addr(), term));
  }

  /** One step while leading: resign, step down, renew, or wait for the next renewal. */
  private void tendLeadership(Leadership held) throws SQLException {
    if (signals.closing() || signals.resignRequested()) {
      release(held, signals.closing() ? "closing" : "resigned");
      return;
    }
    long now = nanoTime.getAsLong();
    if (now - held.validUntil >= 0) {
      stepDown(held, "leader value not renewed for " + millis(now - held.confirmedAt)
          + " ms");
      closeSession();
      return;
    }
    if (now - held.nextRenewAt >= 0) {
      renew(held);
      return;
    }
    signals.awaitWakeUp(Math.min(held.nextRenewAt, held.validUntil), () -> false);
  }

  private void renew(Leadership held) throws SQLException {
    long sentAt = nanoTime.getAsLong();
    Connection connection = session();
    try (PreparedStatement statement = connection.prepareStatement(sql.renewWithLease())) {
      byte[] ours = LeaseValue.prefixOf(self.addr());
      statement.setString(1, self.addr());
      statement.setLong(2, config.leaderLeaseTtl().toMillis());
      statement.setBytes(3, electionKey);
      statement.setInt(4, ours.length);
      statement.setBytes(5, ours);
      if (statement.executeUpdate() != 1) {
        stepDown(held, "the leader value no longer names this node");
        closeSession();
        return;
      }
    }
    held.confirmed(sentAt);
    keepCandidate(connection);
  }

  /** Stops leading first, then deletes the leader value and releases the lock. */
  private void release(Leadership held, String reason) {
    stepDown(held, reason);
    try {
      Connection connection = session();
      try (PreparedStatement statement = connection.prepareStatement(sql.deleteIfStartsWith())) {
        byte[] ours = LeaseValue.prefixOf(self.addr());
        statement.setBytes(1, electionKey);
        statement.setInt(2, ours.length);
        statement.setBytes(3, ours);
        statement.executeUpdate();
      }
      releaseLock(connection);
    } catch (SQLException e) {
      log.warn("could not release the election lock, peers take over when the leader value"
          + " expires: addr={} term={} error={}", self.addr(), held.term, SqlFailures.message(e));
      closeSession();
    }
    campaignNotBefore = nanoTime.getAsLong() + config.resignPause().toNanos();
    signals.answerResign();
  }

  private void stepDown(Leadership held, String reason) {
    leadership = null;
    metrics.steppedDown();
    log.info("leader stepped down: addr={} term={} reason={}", self.addr(), held.term, reason);
    signals.publish(new LeaderChange.StepDown(self.addr()));
  }

  /** A statement on the election's session failed: the session, and the lock, are gone. */
  private void sessionFailed(SQLException e) {
    Leadership held = leadership;
    if (held != null) {
      stepDown(held, "lost the connection to the database: " + SqlFailures.message(e));
    }
    closeSession();
    if (failures++ == 0) {
      log.warn("election: {} at {} failed, retrying every {}: addr={} error={}",
          endpoint.flavor().displayName(), endpoint.describe(), config.retryPeriod(),
          self.addr(), SqlFailures.message(e));
    }
    signals.awaitWakeUp(nanoTime.getAsLong() + config.retryPeriod().toNanos(),
        signals::closing);
  }

  private void reachable() {
    if (failures > 0) {
      log.info("election: database reachable again after {} failed attempts: addr={}",
          failures, self.addr());
      failures = 0;
    }
  }

  // ---- statements on the election's session ----

  private Connection session() throws SQLException {
    if (session == null) {
      Connection opened = RdsConnections.open(endpoint, config.connectTimeout(),
          config.leaderValidity());
      try {
        sql.prepareSession(opened, config.leaderLeaseTtl().toSeconds() + 1);
      } catch (SQLException e) {
        opened.close();
        throw e;
      }
      session = opened;
      lockHeld = false;
    }
    return session;
  }

  /** Closes the session, which releases the lock if it still held it. */
  private void closeSession() {
    if (session != null) {
      try {
        session.close();
      } catch (SQLException e) {
        log.debug("closing the election session failed: {}", e.getMessage());
      }
      session = null;
      lockHeld = false;
    }
  }

  private void releaseLock(Connection connection) throws SQLException {
    sql.unlock(connection);
    lockHeld = false;
  }

  private Optional<LeaseValue> readLeader(Connection connection) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql.getWithLease())) {
      statement.setBytes(1, electionKey);
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next() ? LeaseValue.parse(rows.getBytes(1), rows.getString(2))
            : Optional.empty();
      }
    }
  }

  private void observe(Optional<LeaseValue> leader, long readAt) {
    observed = leader.filter(LeaseValue::live)
        .map(value -> new ObservedLeader(value.value(),
            readAt + TimeUnit.MILLISECONDS.toNanos(value.millisLeft())))
        .orElse(null);
  }

  private void writeLeader(Connection connection) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql.putWithLease())) {
      statement.setBytes(1, electionKey);
      statement.setString(2, self.addr());
      statement.setLong(3, config.leaderLeaseTtl().toMillis());
      statement.executeUpdate();
    }
  }

  /** Stores and returns one more than the last term and the stored leader epoch. */
  private long nextTerm(Connection connection) throws SQLException {
    long last = 0;
    try (PreparedStatement statement = connection.prepareStatement(sql.getTwo())) {
      statement.setBytes(1, termKey);
      statement.setBytes(2, epochKey);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          last = Math.max(last, decimal(rows.getBytes(2)));
        }
      }
    }
    long term = last + 1;
    try (PreparedStatement statement = connection.prepareStatement(sql.put())) {
      statement.setBytes(1, termKey);
      statement.setBytes(2, Bytes.utf8(String.format("%020d", term)));
      statement.executeUpdate();
    }
    return term;
  }

  private static long decimal(byte[] value) {
    try {
      return Long.parseLong(Bytes.utf8(value).trim());
    } catch (NumberFormatException e) {
      throw new ElectionException("election term or leader epoch holds " + Bytes.show(value)
          + ", not a number", e);
    }
  }

  /** Writes this node's candidate entry when it is due. */
  private void keepCandidate(Connection connection) throws SQLException {
    long now = nanoTime.getAsLong();
    if (now - candidateRenewAt < 0) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(sql.putWithLease())) {
      statement.setBytes(1, candidateKey());
      statement.setString(2, JSON.writeValueAsString(self));
      statement.setLong(3, config.candidateLeaseTtl().toMillis());
      statement.executeUpdate();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write node info " + self + " as JSON", e);
    }
    candidateRenewAt = now + config.candidateRenewInterval().toNanos();
  }

  private void withdrawCandidate() {
    try (PreparedStatement statement = session().prepareStatement(sql.deleteIfStartsWith())) {
      statement.setBytes(1, candidateKey());
      statement.setInt(2, 0);
      statement.setBytes(3, Bytes.EMPTY);
      statement.executeUpdate();
    } catch (SQLException e) {
      log.warn("could not delete the candidate entry, it expires in {}: addr={} error={}",
          config.candidateLeaseTtl(), self.addr(), SqlFailures.message(e));
    }
  }

  private byte[] candidateKey() {
    return Bytes.concat(candidateRoot, self.addr().getBytes(StandardCharsets.UTF_8));
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** A leader another node holds, and when, on the local clock, its value lapses. */
  private record ObservedLeader(String addr, long lapsesAt) {}

  /** This node's hold on leadership. */
  private final class Leadership {
    final long term;
    volatile long confirmedAt;
    /** Until when this node may say it leads. */
    volatile long validUntil;
    long nextRenewAt;

    Leadership(long term, long sentAt) {
      this.term = term;
      confirmed(sentAt);
    }

    /**
     * A write sent at {@code sentAt} succeeded: its expiry is the database's time when it ran
     * plus the ttl, so no peer can take over before {@code sentAt + ttl}.
     */
    void confirmed(long sentAt) {
      confirmedAt = sentAt;
      validUntil = sentAt + config.leaderValidity().toNanos();
      nextRenewAt = sentAt + config.renewInterval().toNanos();
    }
  }
}
