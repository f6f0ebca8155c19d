package io.metasrv.election.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.metasrv.election.ElectionException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's entry under the candidates prefix: its node info on a lease of its own, renewed
 * on a thread of its own and written again whenever the lease is lost.
 */
final class CandidateRegistration implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CandidateRegistration.class);

  private final Client client;
  private final String key;
  private final ByteSequence keyBytes;
  private final ByteSequence info;
  private final EtcdElectionConfig config;
  private final ScheduledExecutorService renewer;
  private final RetryBackoff backoff;

  // confined to the renewer thread until close() has stopped it
  private long leaseId;

  CandidateRegistration(Client client, String key, ByteSequence info,
      EtcdElectionConfig config) {
    this.client = client;
    this.key = key;
    this.keyBytes = ByteSequence.from(key, StandardCharsets.UTF_8);
    this.info = info;
    this.config = config;
    this.backoff = new RetryBackoff(config.retryBackoff(), config.maxRetryBackoff());
    this.renewer = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "metasrv-election-candidate");
      thread.setDaemon(true);
      return thread;
    });
  }

  void start() {
    renewer.execute(this::renew);
  }

  private void renew() {
    Duration next;
    try {
      if (leaseId == 0) {
        register();
      } else {
        EtcdCalls.await("renew candidate lease",
            client.getLeaseClient().keepAliveOnce(leaseId), config.requestTimeout());
      }
      backoff.reset();
      next = config.candidateKeepAliveInterval();
    } catch (ElectionException e) {
      if (EtcdCalls.isLeaseNotFound(e)) {
        log.warn("candidate lease lost, registering again: key={}", key);
        leaseId = 0;
        next = Duration.ZERO;
      } else {
        next = backoff.next();
        if (backoff.isFirstFailure()) {
          log.warn("candidate registration failed, retrying: key={} error={}", key,
              e.getMessage());
        }
      }
    }
    if (!renewer.isShutdown()) {
      renewer.schedule(this::renew, next.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void register() {
    long granted = EtcdCalls.await("grant candidate lease",
        client.getLeaseClient().grant(config.candidateLeaseTtl().toSeconds()),
        config.requestTimeout()).getID();
    try {
      EtcdCalls.await("register candidate", client.getKVClient().put(keyBytes, info,
          PutOption.builder().withLeaseId(granted).build()), config.requestTimeout());
    } catch (ElectionException e) {
      client.getLeaseClient().revoke(granted); // best effort: it expires anyway
      throw e;
    }
    leaseId = granted;
    log.info("candidate registered: key={} lease={}", key, Long.toHexString(granted));
  }

  /** Stops renewing, then deletes the entry and revokes its lease (best effort). */
  @Override
  public void close() {
    renewer.shutdownNow();
    try {
      if (!renewer.awaitTermination(config.requestTimeout().toMillis() * 2,
          TimeUnit.MILLISECONDS)) {
        log.warn("candidate renewer did not stop in time: key={}", key);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      EtcdCalls.await("deregister candidate", client.getKVClient().delete(keyBytes),
          config.requestTimeout());
      if (leaseId != 0) {
        EtcdCalls.await("revoke candidate lease", client.getLeaseClient().revoke(leaseId),
            config.requestTimeout());
      }
    } catch (ElectionException e) {
      log.warn("could not deregister candidate; it expires with its lease: key={} error={}", key,
          e.getMessage());
    }
  }
}
