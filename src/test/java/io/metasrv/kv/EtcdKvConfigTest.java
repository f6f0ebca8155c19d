package io.metasrv.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.etcd.EtcdKvConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EtcdKvConfigTest {

  @Test
  void storeAddrsWithoutSchemeBecomeHttpEndpoints() {
    EtcdKvConfig config = EtcdKvConfig.of(List.of("10.0.0.1:2379, etcd.ns.svc:2379",
        "https://secure:2379"));

    assertThat(config.endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"),
        URI.create("http://etcd.ns.svc:2379"), URI.create("https://secure:2379"));
    assertThat(config.usesTls()).isTrue();
    assertThat(EtcdKvConfig.of("127.0.0.1:2379").usesTls()).isFalse();
  }

  @Test
  void malformedAddressesAreRefusedWithTheAddress() {
    assertThatThrownBy(() -> EtcdKvConfig.of("127.0.0.1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"127.0.0.1\"");
    assertThatThrownBy(() -> EtcdKvConfig.of("unix://socket:1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unix");
    assertThatThrownBy(() -> EtcdKvConfig.of(" , "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("store_addrs");
  }

  @Test
  void credentialsAndClientCertificatesComeInPairs() {
    EtcdKvConfig plain = EtcdKvConfig.of("127.0.0.1:2379");

    assertThatThrownBy(() -> plain.withCredentials("root", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EtcdKvConfig.Tls(null, Path.of("client.crt"), null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key_path");
  }

  @Test
  void passwordIsNotPrinted() {
    EtcdKvConfig config = EtcdKvConfig.of("127.0.0.1:2379").withCredentials("root", "s3cret");

    assertThat(config.toString()).contains("root").doesNotContain("s3cret");
  }
}
