package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.metasrv.election.ElectionException;
import io.metasrv.election.MetasrvNodeInfo;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The candidates' Leases: one per node, labelled with the election Lease's name and carrying
 * the node's {@link MetasrvNodeInfo} in annotations. A candidate is live while its Lease keeps
 * changing: as for the election Lease, staleness is judged on the local monotonic clock from when
 * a Lease was last seen to change, never from the timestamps written by the candidate's clock.
 * The leader deletes the Leases that stayed unchanged too long ({@link #deleteStale()}), so that
 * those of crashed nodes do not pile up.
 */
final class CandidateLeases {
  static final String ELECTION_LABEL = "metasrv.io/election";
  static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  static final String ADDR = "metasrv.io/addr";
  static final String VERSION = "metasrv.io/version";
  static final String GIT_COMMIT = "metasrv.io/git-commit";
  static final String START_TIME_MS = "metasrv.io/start-time-ms";

  private static final Logger log = LoggerFactory.getLogger(CandidateLeases.class);
  private static final int MAX_NAME_LENGTH = 253;

  private final LeaseCalls calls;
  private final KubernetesLeaseConfig config;
  private final LongSupplier nanoTime;

  /** Candidate Lease name to the version last seen and when it was first seen. */
  private final Map<String, Sighting> sightings = new HashMap<>(); // guarded by this

  private record Sighting(String resourceVersion, long sinceNanos) {}

  CandidateLeases(LeaseCalls calls, KubernetesLeaseConfig config, LongSupplier nanoTime) {
    this.calls = calls;
    this.config = config;
    this.nanoTime = nanoTime;
  }

  /**
   * The candidate Lease name of the node at {@code addr}: the election Lease's name, then the
   * address with what a Kubernetes name cannot hold replaced by {@code -}, so that the name is
   * predictable for RBAC ({@code 10.0.0.7:3002} gives {@code <lease>-candidate-10.0.0.7-3002}).
   */
  static String nameOf(String leaseName, String addr) {
    String cleaned = addr.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-")
        .replaceAll("^[-.]+|[-.]+$", "");
    String name = leaseName + "-candidate-" + cleaned;
    return name.length() <= MAX_NAME_LENGTH ? name
        : name.substring(0, MAX_NAME_LENGTH).replaceAll("[-.]+$", "");
  }

  /** The Lease that registers {@code self}, based on {@code existing} when there is one. */
  Lease registration(MetasrvNodeInfo self, Lease existing, ZonedDateTime now) {
    LeaseBuilder builder = existing == null ? new LeaseBuilder() : new LeaseBuilder(existing);
    return builder
        .editOrNewMetadata()
          .withName(nameOf(config.leaseName(), self.addr()))
          .withNamespace(calls.namespace())
          .addToLabels(ELECTION_LABEL, config.leaseName())
          .addToLabels(MANAGED_BY_LABEL, "metasrv")
          .addToAnnotations(ADDR, self.addr())
          .addToAnnotations(VERSION, self.version())
          .addToAnnotations(GIT_COMMIT, self.gitCommit())
          .addToAnnotations(START_TIME_MS, Long.toString(self.startTimeMs()))
        .endMetadata()
        .editOrNewSpec()
          .withHolderIdentity(self.addr())
          .withLeaseDurationSeconds(Math.toIntExact(config.candidateExpiry().toSeconds()))
          .withAcquireTime(existing == null || existing.getSpec() == null
              || existing.getSpec().getAcquireTime() == null
              ? now : existing.getSpec().getAcquireTime())
          .withRenewTime(now)
        .endSpec()
        .build();
  }

  /**
   * The live candidates.
   *
   * @throws ElectionException when the Leases cannot be listed
   */
  List<MetasrvNodeInfo> live() {
    List<MetasrvNodeInfo> live = new ArrayList<>();
    for (Sighted sighted : sightAll()) {
      if (!sighted.stale()) {
        nodeInfo(sighted.lease()).ifPresent(live::add);
      }
    }
    return live;
  }

  /**
   * Deletes the candidate Leases seen unchanged for {@link KubernetesLeaseConfig#candidateExpiry()}
   * (those of nodes that crashed or were removed without closing), each only if it is still at
   * the version seen, so that a candidate renewing at that moment keeps its Lease. Meant for the
   * leader alone, so that one node sweeps.
   *
   * @return how many were deleted
   * @throws ElectionException when the Leases cannot be listed
   * @throws KubernetesClientException when a deletion fails for another reason than a race
   */
  int deleteStale() {
    int deleted = 0;
    for (Sighted sighted : sightAll()) {
      if (!sighted.stale()) {
        continue;
      }
      Lease lease = sighted.lease();
      String name = lease.getMetadata().getName();
      if (calls.deleteIfUnchanged(name, lease.getMetadata().getResourceVersion())) {
        deleted++;
        log.info("deleted the candidate Lease of a node gone for {} or more: namespace={} "
            + "name={} addr={}", config.candidateExpiry(), calls.namespace(), name,
            Optional.ofNullable(lease.getMetadata().getAnnotations())
                .map(annotations -> annotations.get(ADDR)).orElse("<unknown>"));
      }
    }
    return deleted;
  }

  private record Sighted(Lease lease, boolean stale) {}

  /** Lists the candidate Leases and notes, for each, whether it has been unchanged too long. */
  private List<Sighted> sightAll() {
    List<Lease> leases;
    try {
      leases = calls.listLabelled(ELECTION_LABEL, config.leaseName());
    } catch (KubernetesClientException e) {
      throw new ElectionException("cannot list candidate Leases in namespace "
          + calls.namespace() + ": " + LeaseCalls.describe(e), e);
    }
    long now = nanoTime.getAsLong();
    long expiry = config.candidateExpiry().toNanos();
    List<Sighted> sightedAll = new ArrayList<>();
    synchronized (this) {
      Map<String, Sighting> seen = new HashMap<>();
      for (Lease lease : leases) {
        String name = lease.getMetadata().getName();
        String version = lease.getMetadata().getResourceVersion();
        Sighting before = sightings.get(name);
        Sighting sighting = before != null && before.resourceVersion().equals(version)
            ? before : new Sighting(version, now);
        seen.put(name, sighting);
        sightedAll.add(new Sighted(lease, now - sighting.sinceNanos() >= expiry));
      }
      sightings.clear();
      sightings.putAll(seen);
    }
    return sightedAll;
  }

  private static Optional<MetasrvNodeInfo> nodeInfo(Lease lease) {
    Map<String, String> annotations = lease.getMetadata().getAnnotations();
    try {
      return Optional.of(new MetasrvNodeInfo(
          Objects.requireNonNull(annotations.get(ADDR)), annotations.get(VERSION),
          annotations.get(GIT_COMMIT), Long.parseLong(annotations.get(START_TIME_MS))));
    } catch (RuntimeException e) {
      log.warn("skipping candidate Lease without readable node info: name={} annotations={}",
          lease.getMetadata().getName(), annotations);
      return Optional.empty();
    }
  }
}
