package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/**
 * The headless Service that gives each pod the DNS name it advertises as server_addr. Addresses
 * are published before the pods are ready: a starting node must reach its peers to elect.
 */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class PeerServiceDependent extends ClusterDependent<Service> {
  public PeerServiceDependent() {
    super(Service.class);
  }

  @Override
  Service desired(ValidCluster cluster) {
    return new ServiceBuilder()
        .withMetadata(metadata(cluster, cluster.names().peerService()))
        .withNewSpec()
        .withClusterIP("None")
        .withPublishNotReadyAddresses(true)
        .withSelector(cluster.names().selectorLabels())
        .withPorts(ServicePorts.of(cluster))
        .endSpec()
        .build();
  }
}
