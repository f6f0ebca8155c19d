package io.metasrv.operator.cluster;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Secrets that clusters' specs name (credentials, TLS). Users create them without our labels,
 * so they are watched by namespace, and each event is mapped by name to the clusters that name the
 * Secret: creating or fixing one re-validates a Stalled cluster without a spec change. Validation
 * reads them from this informer's cache rather than asking the API server on every reconciliation;
 * the cache holds key names only ({@link SecretKeysStore}).
 */
final class ReferencedSecrets {
  private static final String INDEX = "referenced-secrets";

  private ReferencedSecrets() {}

  static InformerEventSource<Secret, MetasrvCluster> eventSource(
      EventSourceContext<MetasrvCluster> context) {
    IndexerResourceCache<MetasrvCluster> clusters = context.getPrimaryCache();
    clusters.addIndexer(
        INDEX, cluster -> of(cluster).stream().map(ReferencedSecrets::indexKey).toList());
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Secret.class, MetasrvCluster.class)
            .withSecondaryToPrimaryMapper(
                secret ->
                    clusters.byIndex(INDEX, indexKey(ResourceID.fromResource(secret))).stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(ReferencedSecrets::of)
            .withItemStore(new SecretKeysStore())
            .build(),
        context);
  }

  /** The Secret of this name that the cluster being reconciled names, if it exists. */
  static Optional<Secret> lookup(Context<MetasrvCluster> context, String namespace, String name) {
    return context.getSecondaryResources(Secret.class).stream()
        .filter(
            secret ->
                name.equals(secret.getMetadata().getName())
                    && namespace.equals(secret.getMetadata().getNamespace()))
        .findFirst();
  }

  static Set<ResourceID> of(MetasrvCluster cluster) {
    MetasrvClusterSpec spec = cluster.getSpec();
    Set<ResourceID> secrets = new HashSet<>();
    if (spec == null) {
      return secrets;
    }
    String namespace = cluster.getMetadata().getNamespace();
    if (spec.tls != null && spec.tls.secretName != null) {
      secrets.add(new ResourceID(spec.tls.secretName, namespace));
    }
    if (spec.backend != null) {
      for (MetasrvClusterSpec.Sql sql : Arrays.asList(spec.backend.postgres, spec.backend.mysql)) {
        if (sql != null && sql.credentialsSecret != null && sql.credentialsSecret.name != null) {
          secrets.add(new ResourceID(sql.credentialsSecret.name, namespace));
        }
      }
    }
    return secrets;
  }

  private static String indexKey(ResourceID secret) {
    return secret.getNamespace().orElse("") + "/" + secret.getName();
  }
}
