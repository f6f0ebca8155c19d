package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ValidCluster;

/** Voluntary disruptions (drains) take one pod at a time, so a majority keeps serving. */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class PodDisruptionBudgetDependent extends ClusterDependent<PodDisruptionBudget> {
  public PodDisruptionBudgetDependent() {
    super(PodDisruptionBudget.class);
  }

  @Override
  PodDisruptionBudget desired(ValidCluster cluster) {
    return new PodDisruptionBudgetBuilder()
        .withMetadata(metadata(cluster, cluster.names().podDisruptionBudget()))
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector()
        .withMatchLabels(cluster.names().selectorLabels())
        .endSelector()
        .endSpec()
        .build();
  }
}
