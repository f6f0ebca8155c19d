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

  /**
   * What the operator renders: the password file in the file, the user name from the pod's
   * environment (a secretKeyRef), store_addrs without credentials.
   */
  @Test
  void passwordFileFromTheFileAndUsernameFromTheEnvironmentCombine() {
    MetasrvOptions options = ConfigLoader.load("""
        backend = "mysql_store"
        store_addrs = ["mysql://db:3306/meta"]
        [backend_auth]
        password_file = "/etc/metasrv/store-credentials/password"
        """, "config.toml",
        Map.of("GREPTIMEDB_METASRV__BACKEND_AUTH__USERNAME", "metasrv"), Map.of());

    assertThat(options.backendAuth())
        .isEqualTo(new BackendAuthOptions(Optional.of("metasrv"), Optional.empty(),
            Optional.of("/etc/metasrv/store-credentials/password")));
  }

  @Test
  void passwordFileMayComeFromTheEnvironmentAndIsPrintedAsThePathItIs() {
    MetasrvOptions options = ConfigLoader.load(null, Map.of(
        "GREPTIMEDB_METASRV__BACKEND", "postgres_store",
        "GREPTIMEDB_METASRV__STORE_ADDRS", "host=db dbname=meta",
        "GREPTIMEDB_METASRV__BACKEND_AUTH__PASSWORD_FILE", "/run/secrets/pg-password"),
        Map.of());

    assertThat(options.backendAuth().passwordFile()).contains("/run/secrets/pg-password");
    assertThat(ConfigPrinter.toToml(options))
        .contains("[backend_auth]")
        .contains("password_file = \"/run/secrets/pg-password\"");
  }
}
