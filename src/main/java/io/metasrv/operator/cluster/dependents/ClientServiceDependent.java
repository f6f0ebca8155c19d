package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/** What datanodes and frontends connect to: any ready pod, which names the leader if need be. */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class ClientServiceDependent extends ClusterDependent<Service> {
  public ClientServiceDependent() {
    super(Service.class);
  }

  @Override
  Service desired(ValidCluster cluster) {
    return new ServiceBuilder()
        .withMetadata(metadata(cluster, cluster.names().clientService()))
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(cluster.names().selectorLabels())
        .withPorts(ServicePorts.of(cluster))
        .endSpec()
        .build();
  }
}
