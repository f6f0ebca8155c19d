package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec.ElectionKind;
import io.metasrv.operator.model.ValidCluster;

/**
 * The election RBAC exists only while the cluster elects with a Lease; otherwise the pods get no
 * API access at all, and switching away deletes the Role and its binding.
 */
public class UsesLeaseElection implements Condition<HasMetadata, MetasrvCluster> {
  @Override
  public boolean isMet(
      DependentResource<HasMetadata, MetasrvCluster> dependentResource,
      MetasrvCluster primary,
      Context<MetasrvCluster> context) {
    return ValidCluster.from(context).election() == ElectionKind.KUBERNETES_LEASE;
  }
}
