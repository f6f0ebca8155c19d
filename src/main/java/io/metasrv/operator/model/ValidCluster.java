package io.metasrv.operator.model;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec.ElectionKind;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;

/**
 * A cluster whose spec passed validation, with absent fields read as their schema defaults and
 * the configuration rendered. The dependents build their objects from this alone.
 *
 * <p>{@code secretVersions} names the resourceVersion of every Secret the cluster references
 * ({@code name=version,...}, sorted; empty when none): the pods read them at start, so a new
 * version must roll them as a new configuration does. Versions, never values.
 */
public record ValidCluster(
    MetasrvCluster resource,
    ClusterNames names,
    int replicas,
    int rpcPort,
    int httpPort,
    ElectionKind election,
    StoreConnection store,
    RenderedConfig config,
    String secretVersions) {

  /** The validated cluster the reconciler put in the context for this reconciliation. */
  public static ValidCluster from(Context<MetasrvCluster> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .getMandatory(ValidCluster.class, ValidCluster.class);
  }

  /** Makes this the cluster that {@link #from} returns during this reconciliation. */
  public void putInto(Context<MetasrvCluster> context) {
    context.managedWorkflowAndDependentResourceContext().put(ValidCluster.class, this);
  }

  public MetasrvClusterSpec spec() {
    return resource.getSpec();
  }
}
