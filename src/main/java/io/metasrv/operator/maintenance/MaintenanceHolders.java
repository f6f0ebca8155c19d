package io.metasrv.operator.maintenance;

import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.metasrv.operator.api.v1alpha1.MaintenanceMode;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which MaintenanceModes hold which cluster, from an index on the controller's own cache: the
 * reference count behind "on while at least one exists".
 */
final class MaintenanceHolders {
  static final String BY_CLUSTER = "maintenancemode-by-cluster";

  private MaintenanceHolders() {}

  /** The index function: the cluster a MaintenanceMode refers to, as "namespace/name". */
  static List<String> clusterKeyOf(MaintenanceMode mode) {
    return clusterName(mode).map(name -> key(mode.getMetadata().getNamespace(), name)).stream().toList();
  }

  static Optional<String> clusterName(MaintenanceMode mode) {
    return Optional.ofNullable(mode.getSpec())
        .map(spec -> spec.clusterRef)
        .map(ref -> ref.name)
        .filter(name -> !name.isBlank());
  }

  static Set<ResourceID> cluster(MaintenanceMode mode) {
    return clusterName(mode)
        .map(name -> Set.of(new ResourceID(name, mode.getMetadata().getNamespace())))
        .orElse(Set.of());
  }

  /** Every MaintenanceMode that refers to the cluster, to be reconciled when the cluster changes. */
  static Set<ResourceID> of(MetasrvCluster cluster, IndexedResourceCache<MaintenanceMode> cache) {
    return cache.byIndex(BY_CLUSTER, key(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName()))
        .stream()
        .map(ResourceID::fromResource)
        .collect(Collectors.toSet());
  }

  /** The other MaintenanceModes on the same cluster that are not being deleted themselves. */
  static List<MaintenanceMode> othersThan(
      MaintenanceMode leaving, IndexedResourceCache<MaintenanceMode> cache) {
    return clusterKeyOf(leaving).stream()
        .flatMap(key -> cache.byIndex(BY_CLUSTER, key).stream())
        .filter(m -> !Objects.equals(m.getMetadata().getUid(), leaving.getMetadata().getUid()))
        .filter(m -> m.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private static String key(String namespace, String cluster) {
    return namespace + "/" + cluster;
  }
}
