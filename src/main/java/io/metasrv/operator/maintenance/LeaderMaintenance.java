package io.metasrv.operator.maintenance;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.metasrv.operator.admin.PodAdminApi.AdminApiException;
import io.metasrv.operator.admin.PodAdminApi;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterStatus;
import io.metasrv.operator.model.PodPorts;
import java.net.URI;

/**
 * The maintenance flag at a cluster's leader. The leader is the one the cluster's status names:
 * the MetasrvCluster controller is the one observer of the pods, and a leader change there is what
 * makes the MaintenanceMode controller look again. A leader that moved since is found out by its
 * refusal (followers answer 503), which is retried.
 */
final class LeaderMaintenance {
  private final PodAdminApi admin;
  private final PodAdminAddresses addresses;

  LeaderMaintenance(PodAdminApi admin, PodAdminAddresses addresses) {
    this.admin = admin;
    this.addresses = addresses;
  }

  LeaderEndpoint locate(MetasrvCluster cluster, KubernetesClient client)
      throws MaintenanceNotApplied {
    String name = cluster.getMetadata().getName();
    MetasrvClusterStatus status = cluster.getStatus();
    if (status == null || status.leader == null || status.leader.pod == null) {
      throw new MaintenanceNotApplied("NoLeader", "MetasrvCluster " + name + " has no leader");
    }
    String podName = status.leader.pod;
    Pod pod =
        client.pods().inNamespace(cluster.getMetadata().getNamespace()).withName(podName).get();
    if (pod == null) {
      throw new MaintenanceNotApplied("NoLeader", "leader pod " + podName + " does not exist");
    }
    URI uri =
        addresses
            .of(pod, PodPorts.of(pod, PodPorts.HTTP, httpPort(cluster.getSpec())))
            .orElseThrow(
                () ->
                    new MaintenanceNotApplied(
                        "NoLeader", "leader pod " + podName + " has no address yet"));
    return new LeaderEndpoint(podName, uri);
  }

  /**
   * Turns maintenance on unless the leader already reports it on.
   *
   * @return whether it was off, so that turning it on is news
   */
  boolean enable(LeaderEndpoint leader) throws MaintenanceNotApplied {
    boolean on =
        admin
            .maintenance(leader.admin())
            .orElseThrow(
                () ->
                    new MaintenanceNotApplied(
                        "LeaderUnreachable", "leader pod " + leader.pod() + " does not answer"));
    if (on) {
      return false;
    }
    set(leader, true);
    return true;
  }

  void disable(LeaderEndpoint leader) throws MaintenanceNotApplied {
    set(leader, false);
  }

  private void set(LeaderEndpoint leader, boolean enabled) throws MaintenanceNotApplied {
    boolean reported;
    try {
      reported = admin.setMaintenance(leader.admin(), enabled);
    } catch (AdminApiException e) {
      throw new MaintenanceNotApplied(
          "LeaderRefused", "leader pod " + leader.pod() + ": " + e.getMessage());
    }
    if (reported != enabled) {
      throw new MaintenanceNotApplied(
          "LeaderRefused",
          "leader pod " + leader.pod() + " still reports maintenance " + (reported ? "on" : "off"));
    }
  }

  private static int httpPort(MetasrvClusterSpec spec) {
    return spec != null && spec.ports != null && spec.ports.http != null
        ? spec.ports.http
        : MetasrvClusterSpec.DEFAULT_HTTP_PORT;
  }
}
