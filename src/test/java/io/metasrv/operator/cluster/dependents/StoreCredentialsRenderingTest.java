package io.metasrv.operator.cluster.dependents;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.metasrv.config.BackendAuthOptions;
import io.metasrv.config.ConfigLoader;
import io.metasrv.config.MetasrvOptions;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.cluster.ClusterSpecValidator;
import io.metasrv.operator.cluster.InvalidSpecException;
import io.metasrv.operator.model.ValidCluster;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a pod of a PostgreSQL or MySQL cluster gets for its credentials: a ConfigMap whose
 * store_addrs says where the database is and whose [backend_auth] names the password file, the
 * user name from the Secret in the environment, the Secret's password key mounted as that file.
 * No value of the Secret appears anywhere in what the operator writes.
 */
class StoreCredentialsRenderingTest {
  private static final String PASSWORD = "p@ss, w'rd with spaces";

  private final ClusterSpecValidator validator = new ClusterSpecValidator(
      (namespace, name) -> Optional.of(secret(name)));

  @Test
  void postgresGetsAnAddressWithoutCredentialsTheUserFromTheEnvAndThePasswordAsAFile()
      throws InvalidSpecException {
    ValidCluster cluster = validator.validate(sqlCluster("pg", "postgres", null, null));

    String toml = configText(cluster);
    assertThat(toml)
        .contains("\nstore_addrs = [\"host=db.example port=5432 dbname=meta\"]\n")
        .contains("\n[backend_auth]\n")
        .contains("\npassword_file = \"/etc/metasrv/store-credentials/password\"\n");
    assertLoadsAsTheServerReadsIt(toml, "store-user");

    PodSpec pod = podSpec(cluster);
    assertUsernameFromSecret(pod, "pg-login", "username");
    assertPasswordFileFromSecret(pod, "pg-login", "password");
    assertNoSecretValue(cluster);
  }

  @Test
  void mysqlUsesTheKeysTheSpecNames() throws InvalidSpecException {
    ValidCluster cluster = validator.validate(sqlCluster("my", "mysql", "login", "secret"));

    String toml = configText(cluster);
    assertThat(toml)
        .contains("\nstore_addrs = [\"mysql://db.example:3306/meta\"]\n")
        .contains("\npassword_file = \"/etc/metasrv/store-credentials/password\"\n");
    assertLoadsAsTheServerReadsIt(toml, "store-user");

    PodSpec pod = podSpec(cluster);
    assertUsernameFromSecret(pod, "my-login", "login");
    assertPasswordFileFromSecret(pod, "my-login", "secret");
    assertNoSecretValue(cluster);
  }

  @Test
  void etcdGetsNoCredentials() throws InvalidSpecException {
    MetasrvCluster resource = sqlCluster("kv", "postgres", null, null);
    resource.getSpec().backend = new MetasrvClusterSpec.Backend();
    resource.getSpec().backend.etcd = new MetasrvClusterSpec.Etcd();
    resource.getSpec().backend.etcd.endpoints = List.of("etcd:2379");
    ValidCluster cluster = validator.validate(resource);

    assertThat(configText(cluster)).contains("\n# password_file: not set\n");
    PodSpec pod = podSpec(cluster);
    assertThat(pod.getContainers().get(0).getEnv()).extracting(EnvVar::getName)
        .containsExactly("POD_NAME", "POD_NAMESPACE");
    assertThat(pod.getVolumes()).extracting(Volume::getName).containsExactly("config");
  }

  /** The rendered file with the pod's environment loads into the credentials the server uses. */
  private static void assertLoadsAsTheServerReadsIt(String toml, String username) {
    MetasrvOptions loaded = ConfigLoader.load(toml, "config.toml",
        Map.of("GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME", username), Map.of());
    assertThat(loaded.backendAuth()).isEqualTo(new BackendAuthOptions(Optional.of(username),
        Optional.empty(), Optional.of("/etc/metasrv/store-credentials/password")));
  }

  private static void assertUsernameFromSecret(PodSpec pod, String secret, String key) {
    List<EnvVar> env = pod.getContainers().get(0).getEnv();
    assertThat(env).extracting(EnvVar::getName).containsExactly(
        "POD_NAME", "POD_NAMESPACE", "GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME");
    EnvVar username = env.get(2);
    assertThat(username.getValue()).isNull();
    assertThat(username.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret);
    assertThat(username.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(key);
  }

  private static void assertPasswordFileFromSecret(PodSpec pod, String secret, String key) {
    Volume volume = pod.getVolumes().stream()
        .filter(v -> v.getSecret() != null && secret.equals(v.getSecret().getSecretName()))
        .findFirst().orElseThrow();
    assertThat(volume.getSecret().getItems()).singleElement().satisfies(item -> {
      assertThat(item.getKey()).isEqualTo(key);
      assertThat(item.getPath()).isEqualTo("password");
    });
    Container container = pod.getContainers().get(0);
    assertThat(container.getVolumeMounts()).filteredOn(m -> m.getName().equals(volume.getName()))
        .singleElement().satisfies(mount -> {
          assertThat(mount.getMountPath()).isEqualTo("/etc/metasrv/store-credentials");
          assertThat(mount.getReadOnly()).isTrue();
        });
    assertThat(pod.getVolumes()).extracting(Volume::getName).doesNotHaveDuplicates();
  }

  private static void assertNoSecretValue(ValidCluster cluster) {
    String rendered = configText(cluster) + podSpec(cluster);
    assertThat(rendered).doesNotContain(PASSWORD).doesNotContain("store-user");
  }

  private static String configText(ValidCluster cluster) {
    return new ConfigMapDependent().desired(cluster).getData().get("config.toml");
  }

  private static PodSpec podSpec(ValidCluster cluster) {
    return new StatefulSetDependent().desired(cluster).getSpec().getTemplate().getSpec();
  }

  private static MetasrvCluster sqlCluster(
      String name, String kind, String usernameKey, String passwordKey) {
    MetasrvCluster cluster = new MetasrvCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").build());
    MetasrvClusterSpec spec = new MetasrvClusterSpec();
    spec.image = "metasrv:test";
    spec.backend = new MetasrvClusterSpec.Backend();
    MetasrvClusterSpec.Sql sql = new MetasrvClusterSpec.Sql();
    sql.host = "db.example";
    sql.database = "meta";
    sql.credentialsSecret = new MetasrvClusterSpec.CredentialsSecret();
    sql.credentialsSecret.name = name + "-login";
    sql.credentialsSecret.usernameKey = usernameKey;
    sql.credentialsSecret.passwordKey = passwordKey;
    if (kind.equals("postgres")) {
      spec.backend.postgres = sql;
    } else {
      spec.backend.mysql = sql;
    }
    cluster.setSpec(spec);
    return cluster;
  }

  /** A Secret holding the user name and the password under both key conventions used here. */
  private static Secret secret(String name) {
    Base64.Encoder base64 = Base64.getEncoder();
    String user = base64.encodeToString("store-user".getBytes());
    String password = base64.encodeToString(PASSWORD.getBytes());
    return new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(name).withResourceVersion("1").build())
        .withData(Map.of("username", user, "password", password, "login", user,
            "secret", password))
        .build();
  }
}
