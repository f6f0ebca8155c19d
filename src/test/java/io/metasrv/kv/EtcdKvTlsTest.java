package io.metasrv.kv;

import static io.metasrv.kv.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.etcd.EtcdKv;
import io.metasrv.kv.etcd.EtcdKvConfig;
import io.metasrv.testing.EtcdProcess;
import io.metasrv.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
