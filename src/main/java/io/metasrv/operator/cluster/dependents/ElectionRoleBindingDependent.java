package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/** Grants the election Role to the pods' ServiceAccount. */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class ElectionRoleBindingDependent extends ClusterDependent<RoleBinding> {
  public ElectionRoleBindingDependent() {
    super(RoleBinding.class);
  }

  @Override
  RoleBinding desired(ValidCluster cluster) {
    return new RoleBindingBuilder()
        .withMetadata(metadata(cluster, cluster.names().electionRole()))
        .withNewRoleRef()
        .withApiGroup("rbac.authorization.k8s.io")
        .withKind("Role")
        .withName(cluster.names().electionRole())
        .endRoleRef()
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(cluster.names().serviceAccount())
        .withNamespace(cluster.names().namespace())
        .endSubject()
        .build();
  }
}
