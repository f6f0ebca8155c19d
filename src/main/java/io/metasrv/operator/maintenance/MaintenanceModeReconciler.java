package io.metasrv.operator.maintenance;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.metasrv.operator.admin.PodAdminApi;
import io.metasrv.operator.api.v1alpha1.MaintenanceMode;
import io.metasrv.operator.api.v1alpha1.MaintenanceModeStatus;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.status.ClusterEvents;
import io.metasrv.operator.status.Conditions;
import io.metasrv.operator.status.StatusWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps maintenance on at a cluster's leader while a MaintenanceMode refers to the cluster, and
 * turns it off when the last one goes (the finalizer holds the deletion until the leader agreed).
 *
 * <p>This controller alone writes the flag. It watches the MetasrvClusters too, so that a change
 * of their status (a new leader, the observed flag turning off) reconciles every MaintenanceMode
 * that refers to them; and it looks again every {@code recheckInterval}, so a flag turned off
 * behind its back is turned on again even while the cluster's status says nothing new.
 */
@ControllerConfiguration(name = MaintenanceModeReconciler.NAME)
public class MaintenanceModeReconciler
    implements Reconciler<MaintenanceMode>, Cleaner<MaintenanceMode> {
  public static final String NAME = "maintenancemode";
  private static final Logger log = LoggerFactory.getLogger(MaintenanceModeReconciler.class);

  /**
   * A cluster's flag is read and written under its lock, by reconciles and clean-ups alike:
   * otherwise a new MaintenanceMode could read "on" while the last old one's "off" is on its way,
   * and report Applied over a flag that then turns off. Striped, so the map never grows.
   */
  private static final int LOCK_STRIPES = 64;

  private final Object[] clusterLocks = new Object[LOCK_STRIPES];
  private final LeaderMaintenance leaders;
  private final Duration recheckInterval;
  private final RetryBackoff backoff;
  private final Clock clock;

  public MaintenanceModeReconciler(
      PodAdminApi admin, PodAdminAddresses addresses, Duration recheckInterval, Clock clock) {
    this(new LeaderMaintenance(admin, addresses), recheckInterval, RetryBackoff.DEFAULT, clock);
  }

  MaintenanceModeReconciler(
      LeaderMaintenance leaders, Duration recheckInterval, RetryBackoff backoff, Clock clock) {
    this.leaders = leaders;
    this.recheckInterval = recheckInterval;
    this.backoff = backoff;
    this.clock = clock;
    for (int i = 0; i < LOCK_STRIPES; i++) {
      clusterLocks[i] = new Object();
    }
  }

  private Object lockFor(String namespace, String clusterName) {
    return clusterLocks[Math.floorMod(Objects.hash(namespace, clusterName), LOCK_STRIPES)];
  }

  @Override
  public List<EventSource<?, MaintenanceMode>> prepareEventSources(
      EventSourceContext<MaintenanceMode> context) {
    context.getPrimaryCache().addIndexer(MaintenanceHolders.BY_CLUSTER, MaintenanceHolders::clusterKeyOf);
    var clusters =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(MetasrvCluster.class, MaintenanceMode.class)
                .withSecondaryToPrimaryMapper(
                    cluster -> MaintenanceHolders.of(cluster, context.getPrimaryCache()))
                .<MaintenanceMode>withPrimaryToSecondaryMapper(MaintenanceHolders::cluster)
                .build(),
            context);
    return List.of(clusters);
  }

  @Override
  public UpdateControl<MaintenanceMode> reconcile(
      MaintenanceMode mode, Context<MaintenanceMode> context) {
    KubernetesClient client = context.getClient();
    try {
      MetasrvCluster cluster = referredCluster(mode, context);
      LeaderEndpoint leader;
      boolean turnedOn;
      synchronized (lockFor(cluster.getMetadata().getNamespace(),
          cluster.getMetadata().getName())) {
        leader = leaders.locate(cluster, client);
        turnedOn = leaders.enable(leader);
      }
      boolean wasApplied = isApplied(mode.getStatus());
      if (turnedOn) {
        if (wasApplied) {
          ClusterEvents.warning(
              client, mode, "MaintenanceReapplied",
              "maintenance was off at leader " + leader.pod() + "; turned it on again");
        } else {
          ClusterEvents.normal(
              client, mode, "MaintenanceEnabled",
              "maintenance on at leader " + leader.pod() + reasonSuffix(mode));
        }
      }
      StatusWriter.writeIfChanged(mode, MaintenanceStatuses.applied(mode, leader, clock), context);
      return UpdateControl.<MaintenanceMode>noUpdate().rescheduleAfter(recheckInterval);
    } catch (MaintenanceNotApplied notApplied) {
      MaintenanceModeStatus status = MaintenanceStatuses.notApplied(mode, notApplied, clock);
      if (!sameAppliedCondition(mode.getStatus(), status)) {
        ClusterEvents.warning(client, mode, notApplied.reason(), notApplied.getMessage());
      }
      Instant failingSince =
          MaintenanceStatuses.appliedCondition(status)
              .map(c -> Instant.parse(c.getLastTransitionTime()))
              .orElse(clock.instant());
      StatusWriter.writeIfChanged(mode, status, context);
      return UpdateControl.<MaintenanceMode>noUpdate()
          .rescheduleAfter(backoff.after(failingSince, clock.instant()));
    }
  }

  @Override
  public DeleteControl cleanup(MaintenanceMode mode, Context<MaintenanceMode> context) {
    String clusterName = MaintenanceHolders.clusterName(mode).orElse("");
    synchronized (lockFor(mode.getMetadata().getNamespace(), clusterName)) {
      return cleanupHoldingLock(mode, context);
    }
  }

  private DeleteControl cleanupHoldingLock(MaintenanceMode mode,
      Context<MaintenanceMode> context) {
    String name = mode.getMetadata().getName();
    List<MaintenanceMode> others = MaintenanceHolders.othersThan(mode, context.getPrimaryCache());
    if (!others.isEmpty()) {
      log.info(
          "MaintenanceMode {}/{} deleted; maintenance stays on for {}",
          mode.getMetadata().getNamespace(), name,
          others.stream().map(m -> m.getMetadata().getName()).toList());
      return DeleteControl.defaultDelete();
    }
    var cluster = context.getSecondaryResource(MetasrvCluster.class);
    if (cluster.isEmpty()) {
      // No cluster, no flag to turn off: the deletion must not hang on it.
      return DeleteControl.defaultDelete();
    }
    KubernetesClient client = context.getClient();
    try {
      LeaderEndpoint leader = leaders.locate(cluster.get(), client);
      leaders.disable(leader);
      ClusterEvents.normal(
          client, cluster.get(), "MaintenanceDisabled",
          "maintenance off at leader " + leader.pod() + ": its last MaintenanceMode, " + name
              + ", was deleted");
      return DeleteControl.defaultDelete();
    } catch (MaintenanceNotApplied notDisabled) {
      ClusterEvents.warning(
          client, mode, "MaintenanceNotDisabled", notDisabled.getMessage() + "; retrying");
      Instant deletingSince = Instant.parse(mode.getMetadata().getDeletionTimestamp());
      return DeleteControl.noFinalizerRemoval()
          .rescheduleAfter(backoff.after(deletingSince, clock.instant()).toMillis());
    }
  }

  private static MetasrvCluster referredCluster(
      MaintenanceMode mode, Context<MaintenanceMode> context) throws MaintenanceNotApplied {
    String name =
        MaintenanceHolders.clusterName(mode)
            .orElseThrow(
                () -> new MaintenanceNotApplied("NoClusterRef", "spec.clusterRef.name is required"));
    return context
        .getSecondaryResource(MetasrvCluster.class)
        .orElseThrow(
            () ->
                new MaintenanceNotApplied(
                    "ClusterNotFound",
                    "MetasrvCluster " + name + " does not exist in namespace "
                        + mode.getMetadata().getNamespace()));
  }

  private static boolean isApplied(MaintenanceModeStatus status) {
    return MaintenanceStatuses.appliedCondition(status)
        .map(c -> Conditions.TRUE.equals(c.getStatus()))
        .orElse(false);
  }

  private static boolean sameAppliedCondition(
      MaintenanceModeStatus before, MaintenanceModeStatus after) {
    Condition previous = MaintenanceStatuses.appliedCondition(before).orElse(null);
    Condition next = MaintenanceStatuses.appliedCondition(after).orElseThrow();
    return previous != null
        && Objects.equals(previous.getStatus(), next.getStatus())
        && Objects.equals(previous.getReason(), next.getReason());
  }

  private static String reasonSuffix(MaintenanceMode mode) {
    String reason = mode.getSpec().reason;
    return reason == null || reason.isBlank() ? "" : ": " + reason;
  }
}
