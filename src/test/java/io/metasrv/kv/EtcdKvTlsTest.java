package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link EtcdKv} against an etcd that only speaks TLS and requires client certificates. */
class EtcdKvTlsTest {

  @Test
  void connectsWithCaAndClientCertificateAndIsRefusedWithout(@TempDir Path dir) {
    TestCertificates certs = TestCertificates.issue(dir);
    try (EtcdProcess etcd = EtcdProcess.startWithTls(new EtcdProcess.ServerTls(
        certs.serverCert(), certs.serverKey(), certs.caCert()))) {
      EtcdKvConfig base = EtcdKvConfig.of(etcd.endpoint())
          .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2));

      try (EtcdKv mutual = EtcdKv.connect(base.withTls(new EtcdKvConfig.Tls(
              certs.caCert(), certs.clientCert(), certs.clientKey())), KvLimits.DEFAULT);
          EtcdKv withoutClientCert = EtcdKv.connect(
              base.withTls(new EtcdKvConfig.Tls(certs.caCert(), null, null)), KvLimits.DEFAULT);
          EtcdKv untrustedServer = EtcdKv.connect(base, KvLimits.DEFAULT)) {
        mutual.put(utf8("k"), utf8("v"));

        assertThat(mutual.get(utf8("k")).orElseThrow().value()).isEqualTo(utf8("v"));
        assertThatThrownBy(() -> withoutClientCert.get(utf8("k")))
            .isInstanceOf(KvUnavailableException.class);
        // https:// alone means TLS with the JVM's roots, which do not know the test CA
        assertThatThrownBy(() -> untrustedServer.get(utf8("k")))
            .isInstanceOf(KvUnavailableException.class);
      }
    }
  }

  /**
   * A client key in PKCS#1 or SEC1 (etcd itself reads the server key in the same format). Both of
   * {@link EtcdKv}'s channels read it: the KV calls' (grpc-netty-shaded) and jetcd's (Netty).
   */
  @ParameterizedTest
  @EnumSource(value = TestCertificates.KeyFormat.class, names = {"PKCS1_RSA", "SEC1_EC"})
  void connectsWithAClientKeyInPkcs1OrSec1(TestCertificates.KeyFormat keys, @TempDir Path dir)
      throws Exception {
    TestCertificates certs = TestCertificates.issue(dir, keys);
    try (EtcdProcess etcd = EtcdProcess.startWithTls(new EtcdProcess.ServerTls(
        certs.serverCert(), certs.serverKey(), certs.caCert()))) {
      EtcdKvConfig config = EtcdKvConfig.of(etcd.endpoint())
          .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2))
          .withTls(new EtcdKvConfig.Tls(certs.caCert(), certs.clientCert(), certs.clientKey()));

      try (EtcdKv kv = EtcdKv.connect(config, KvLimits.DEFAULT)) {
        kv.put(utf8("k"), utf8("v"));

        assertThat(kv.get(utf8("k")).orElseThrow().value()).isEqualTo(utf8("v"));
        ByteSequence key = ByteSequence.from("k", StandardCharsets.UTF_8);
        assertThat(kv.client().getKVClient().get(key).get(10, TimeUnit.SECONDS).getCount())
            .isEqualTo(1);
      }
    }
  }

  @Test
  void aKeyFileThatIsNoKeyIsAStoreErrorNamingTheFiles(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.issue(dir);
    Path notAKey = Files.writeString(dir.resolve("not-a.key"), "not a key\n");
    EtcdKvConfig config = EtcdKvConfig.of("http://127.0.0.1:2379")
        .withTls(new EtcdKvConfig.Tls(certs.caCert(), certs.clientCert(), notAKey));
    assertThatThrownBy(() -> EtcdKv.connect(config, KvLimits.DEFAULT))
        .isInstanceOf(KvException.class)
        .hasMessageContaining("cannot load etcd TLS material")
        .hasMessageContaining(notAKey.toString());
  }
}
