package io.metasrv.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendAuthOptionsTest {

  @Test
  void passwordComesFromTheEnvironmentAndIsRedactedInThePrintout() {
    MetasrvOptions options = ConfigLoader.load(null, Map.of(
        "GREPTIMEDB_METASRV__BACKEND", "postgres_store",
        "GREPTIMEDB_METASRV__STORE_ADDRS", "postgresql://meta:inline-secret@db:5432/meta",
        "GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME", "metasrv",
        "GREPTIMEDB_METASRV__BACKEND_AUTH__PASSWORD", "p@ss, w'rd"), Map.of());

    assertThat(options.backendAuth())
        .isEqualTo(new BackendAuthOptions(Optional.of("metasrv"),
            Optional.of("p@ss, w'rd"), Optional.empty()));
    assertThat(ConfigPrinter.toToml(options))
        .contains("[backend_auth]")
        .contains("username = \"metasrv\"")
        .doesNotContain("p@ss")
        .doesNotContain("inline-secret");
  }
}
