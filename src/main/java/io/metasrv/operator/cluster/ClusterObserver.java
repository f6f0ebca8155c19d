package io.metasrv.operator.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.metasrv.operator.admin.PodAdminAddresses;
import io.metasrv.operator.admin.PodAdminApi.NodeReport;
import io.metasrv.operator.admin.PodAdminApi;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterStatus;
import io.metasrv.operator.model.ClusterNames;
import io.metasrv.operator.model.PodPorts;
import io.metasrv.operator.model.ValidCluster;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;

/** Asks each pod of a cluster how it serves, who leads, and whether maintenance is on. */
public final class ClusterObserver {
  private final PodAdminApi admin;
  private final PodAdminAddresses addresses;

  public ClusterObserver(PodAdminApi admin, PodAdminAddresses addresses) {
    this.admin = admin;
    this.addresses = addresses;
  }

  /** The pods of a cluster whose spec was applied. */
  public ClusterObservation observe(ValidCluster cluster, Collection<Pod> pods) {
    return observe(cluster.names(), cluster.rpcPort(), cluster.httpPort(), pods);
  }

  /**
   * The pods of a cluster whose current spec is invalid: they still run what was applied before,
   * and are asked on the ports they declare.
   */
  public ClusterObservation observeAsRunning(MetasrvCluster cluster, Collection<Pod> pods) {
    return observe(ClusterNames.of(cluster), MetasrvClusterSpec.DEFAULT_RPC_PORT,
        MetasrvClusterSpec.DEFAULT_HTTP_PORT, pods);
  }

  private ClusterObservation observe(ClusterNames names, int rpcPort, int httpPort,
      Collection<Pod> pods) {
    int existing = 0;
    int serving = 0;
    MetasrvClusterStatus.Leader leader = null;
    Optional<Boolean> maintenance = Optional.empty();
    for (Pod pod : pods) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      existing++;
      Optional<URI> uri = addresses.of(pod, PodPorts.of(pod, PodPorts.HTTP, httpPort));
      NodeReport report = uri.map(admin::health).orElse(NodeReport.unreachable());
      if (report.serving()) {
        serving++;
      }
      if (report.role() == PodAdminApi.Role.LEADER && leader == null) {
        String podName = pod.getMetadata().getName();
        leader = new MetasrvClusterStatus.Leader();
        leader.pod = podName;
        leader.address =
            admin
                .leaderAddress(uri.get())
                .orElse(names.podServerAddress(podName, PodPorts.of(pod, PodPorts.RPC, rpcPort)));
        leader.epoch = report.epoch().orElse(null);
        maintenance = admin.maintenance(uri.get());
      }
    }
    return new ClusterObservation(existing, serving, Optional.ofNullable(leader), maintenance);
  }
}
