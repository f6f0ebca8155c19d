package io.metasrv.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretKeysStoreTest {
  @Test
  void keepsIdentityAndKeyNamesButNoValue() {
    Secret secret = new SecretBuilder()
        .withNewMetadata()
        .withName("pg-login")
        .withNamespace("prod")
        .withResourceVersion("42")
        .withAnnotations(Map.of("kubectl.kubernetes.io/last-applied-configuration",
            "{\"stringData\":{\"password\":\"s3cret\"}}"))
        .endMetadata()
        .withData(Map.of("username", "bWV0YQ=="))
        .withStringData(Map.of("password", "s3cret"))
        .build();
    SecretKeysStore store = new SecretKeysStore();

    store.put(store.getKey(secret), secret);

    Secret kept = store.get("prod/pg-login");
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(kept.getData()).containsOnlyKeys("username", "password").allSatisfy((k, v) -> assertThat(v).isEmpty());
    assertThat(kept.getStringData()).isNullOrEmpty();
    assertThat(kept.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(kept.toString()).doesNotContain("s3cret", "bWV0YQ==");
  }
}
