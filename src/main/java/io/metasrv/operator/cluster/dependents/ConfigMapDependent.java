package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.model.ClusterNames;
import io.metasrv.operator.model.ValidCluster;

/** The rendered metasrv TOML; credentials are never in it (see StoreConnection). */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class ConfigMapDependent extends ClusterDependent<ConfigMap> {
  public ConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  ConfigMap desired(ValidCluster cluster) {
    return new ConfigMapBuilder()
        .withMetadata(metadata(cluster, cluster.names().configMap()))
        .addToData(ClusterNames.CONFIG_FILE_KEY, cluster.config().toml())
        .build();
  }
}
