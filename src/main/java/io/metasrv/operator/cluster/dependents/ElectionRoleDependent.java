package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/**
 * Lease access for Kubernetes Lease election, and nothing else: the verbs of the election's
 * LeaseCalls. The leader Lease is read, created and renewed (a PUT, never a patch); candidates
 * are their own Leases, created, renewed, listed (never watched) and removed when they expire.
 * Leases cannot be limited by name here, since candidates create theirs. The operator holds each
 * of these verbs itself (manifests/operator/rbac.yaml), as Kubernetes requires of a Role's writer.
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
                .withVerbs("get", "list", "create", "update", "delete")
                .build())
        .build();
  }
}
