package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.cluster.ValidCluster;

/**
 * Lease access for Kubernetes Lease election, and nothing else: the leader Lease is read, created
 * and renewed; candidates are their own Leases, listed and watched, removed when a node leaves.
 * Leases cannot be limited by name here, since candidates create theirs.
 */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class ElectionRoleDependent extends ClusterDependent<Role> {
  public ElectionRoleDependent() {
    super(Role.class);
  }

  @Override
  Role desired(ValidCluster cluster) {
    return new RoleBuilder()
        .withMetadata(metadata(cluster, cluster.names().electionRole()))
        .withRules(
            new PolicyRuleBuilder()
                .withApiGroups("coordination.k8s.io")
                .withResources("leases")
                .withVerbs("get", "list", "watch", "create", "update", "patch", "delete")
                .build())
        .build();
  }
}
