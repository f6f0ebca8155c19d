package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/**
 * Lease access for Kubernetes Lease election, and nothing else: the verbs of the election's
 * LeaseCalls. Creating, listing and watching cannot be limited by name (the authorizer knows no
 * name for them): the election Lease and each node's candidate Lease are created, candidates
 * listed, and the election Lease watched so that followers see it released at once. The election
 * Lease itself is read, renewed (a PUT, never a patch) and watched by name. Candidates' names
 * follow the pods' server_addr, so their get and update are not narrowed (scaling needs no new
 * Role); delete is not either, since the leader deletes the candidate Leases of crashed nodes.
 * The operator holds each of these verbs itself (manifests/operator/rbac.yaml), as Kubernetes
 * requires of a Role's writer.
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
            leases().withVerbs("create", "list", "watch").build(),
            leases()
                .withResourceNames(cluster.names().electionLease())
                .withVerbs("get", "update", "watch")
                .build(),
            leases().withVerbs("get", "update").build(),
            leases().withVerbs("delete").build())
        .build();
  }

  private static PolicyRuleBuilder leases() {
    return new PolicyRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases");
  }
}
