package io.metasrv.operator.cluster;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Secret informer's store, keeping of each Secret its identity and the names of its keys, all
 * that validation reads. The informer watches every Secret of the namespace; without this their
 * values (also in kubectl's last-applied annotation) would sit in the operator's memory for as
 * long as it runs.
 */
final class SecretKeysStore extends BasicItemStore<Secret> {
  SecretKeysStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public Secret put(String key, Secret secret) {
    return super.put(key, keysOnly(secret));
  }

  static Secret keysOnly(Secret secret) {
    Map<String, String> keys = new TreeMap<>();
    Stream.of(secret.getData(), secret.getStringData())
        .filter(Objects::nonNull)
        .forEach(values -> values.keySet().forEach(name -> keys.put(name, "")));
    var metadata = secret.getMetadata();
    return new SecretBuilder()
        .withNewMetadata()
        .withName(metadata.getName())
        .withNamespace(metadata.getNamespace())
        .withUid(metadata.getUid())
        .withResourceVersion(metadata.getResourceVersion())
        .withDeletionTimestamp(metadata.getDeletionTimestamp())
        .endMetadata()
        .withType(secret.getType())
        .withData(keys)
        .build();
  }
}
