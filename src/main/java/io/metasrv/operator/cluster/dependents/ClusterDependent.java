package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.model.ValidCluster;
import io.metasrv.operator.status.ClusterEvents;

/**
 * An object a {@link MetasrvCluster} owns. Subclasses only say what it should look like, from the
 * validated cluster that the reconciler puts in the context before it runs the workflow; creating
 * and correcting drift are JOSDK's, and both are announced as events on the cluster.
 */
abstract class ClusterDependent<R extends HasMetadata>
    extends CRUDKubernetesDependentResource<R, MetasrvCluster> {

  ClusterDependent(Class<R> type) {
    super(type);
  }

  /** What the object should look like. */
  abstract R desired(ValidCluster cluster);

  @Override
  protected final R desired(MetasrvCluster primary, Context<MetasrvCluster> context) {
    return desired(ValidCluster.from(context));
  }

  @Override
  public R create(R desired, MetasrvCluster primary, Context<MetasrvCluster> context) {
    R created = super.create(desired, primary, context);
    ClusterEvents.normal(context.getClient(), primary, "Created", describe(desired) + " created");
    return created;
  }

  @Override
  public R update(R actual, R desired, MetasrvCluster primary, Context<MetasrvCluster> context) {
    R updated = super.update(actual, desired, primary, context);
    ClusterEvents.normal(context.getClient(), primary, "Updated", describe(desired) + " updated");
    return updated;
  }

  static ObjectMeta metadata(ValidCluster cluster, String name) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(cluster.names().namespace())
        .withLabels(cluster.names().labels())
        .build();
  }

  private static String describe(HasMetadata object) {
    return object.getKind() + " " + object.getMetadata().getName();
  }
}
