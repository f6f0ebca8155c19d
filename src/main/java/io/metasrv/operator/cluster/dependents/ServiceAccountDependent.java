package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/** The pods' identity, bound to the election Role when election uses a Lease. */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class ServiceAccountDependent extends ClusterDependent<ServiceAccount> {
  public ServiceAccountDependent() {
    super(ServiceAccount.class);
  }

  @Override
  ServiceAccount desired(ValidCluster cluster) {
    return new ServiceAccountBuilder()
        .withMetadata(metadata(cluster, cluster.names().serviceAccount()))
        .build();
  }
}
