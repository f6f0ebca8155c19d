package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TlsOptionsTest {

  @Test
  void bothTlsSectionsAreOffByDefaultAndPrinted() {
    MetasrvOptions defaults = ConfigLoader.load(null, Map.of(), Map.of());
    assertThat(defaults.backendTls()).isEqualTo(TlsOptions.defaults());
    assertThat(defaults.grpc().tls().mode()).isEqualTo(TlsMode.DISABLE);
    assertThat(ConfigPrinter.toToml(defaults)).contains("[backend_tls]\nmode = \"disable\"")
        .contains("[grpc.tls]\nmode = \"disable\"");
  }

  @Test
  void sectionsLoadFromEnvironmentWithGreptimeDbsNames() {
    MetasrvOptions options = ConfigLoader.load(null, Map.of(
        "GREPTIMEDB_METASRV__BACKEND_TLS__MODE", "verify_full",
        "GREPTIMEDB_METASRV__BACKEND_TLS__CA_CERT_PATH", "/etc/ca.pem",
        "GREPTIMEDB_METASRV__GRPC__TLS__MODE", "require",
        "GREPTIMEDB_METASRV__GRPC__TLS__CERT_PATH", "/etc/server.pem",
        "GREPTIMEDB_METASRV__GRPC__TLS__KEY_PATH", "/etc/server.key"), Map.of());
    assertThat(options.backendTls().mode()).isEqualTo(TlsMode.VERIFY_FULL);
    assertThat(options.backendTls().caCertPath()).isEqualTo("/etc/ca.pem");
    assertThat(options.grpc().tls().certPath()).isEqualTo("/etc/server.pem");
  }

  @Test
  void aCertificateWithoutItsKeyIsRefusedNamingTheKeySet() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
        Map.of("backend_tls.mode", "require", "backend_tls.cert_path", "/c.pem")))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.keyPath()).isEqualTo("backend_tls.cert_path");
          assertThat(e.reason()).contains("key_path is not");
        });
  }

  @Test
  void verifyingThePeerNeedsACa() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
        Map.of("backend_tls.mode", "verify_ca")))
        .isInstanceOfSatisfying(ConfigException.class,
            e -> assertThat(e.keyPath()).isEqualTo("backend_tls.ca_cert_path"));
  }

  @Test
  void aTlsGrpcServerNeedsACertificate() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("grpc.tls.mode", "require")))
        .isInstanceOfSatisfying(ConfigException.class,
            e -> assertThat(e.keyPath()).isEqualTo("grpc.tls.cert_path"));
  }

  @Test
  void watchingCertificatesIsRefusedRatherThanIgnored() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("grpc.tls.watch", "true")))
        .isInstanceOfSatisfying(ConfigException.class,
            e -> assertThat(e.keyPath()).isEqualTo("grpc.tls.watch"));
  }

  @Test
  void anUnknownModeListsTheValidOnes() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("backend_tls.mode", "on")))
        .isInstanceOfSatisfying(ConfigException.class,
            e -> assertThat(e.reason()).contains("verify_ca"));
  }
}
