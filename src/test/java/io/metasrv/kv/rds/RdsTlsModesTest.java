package io.metasrv.kv.rds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.KvException;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.testing.SqlServers;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS modes of {@code store_addrs} against the machine's PostgreSQL and MariaDB, which serve
 * without TLS (and are not reconfigured for a test): a mode that demands TLS is refused with an
 * error naming it at once (not retried as an unreachable server), a mode that allows plaintext
 * connects. Certificate checks against a TLS server are not covered here.
 */
class RdsTlsModesTest {

  @ParameterizedTest
  @ValueSource(strings = {"disable", "allow", "prefer"})
  void postgresModesThatAllowPlaintextConnect(String mode) {
    SqlServers.postgres();
    assertConnects(PostgresKv.connect(config(StoreAddresses.postgres(
        SqlServers.POSTGRES_ADDRESS + "?sslmode=" + mode), "tls_modes_postgres"),
        KvLimits.DEFAULT));
  }

  @ParameterizedTest
  @ValueSource(strings = {"require", "verify-ca", "verify-full"})
  void postgresModesThatDemandTlsAreRefusedNamingTls(String mode) {
    SqlServers.postgres();
    RdsKvConfig config = config(StoreAddresses.postgres(SqlServers.POSTGRES_ADDRESS
        + "?sslmode=" + mode), "tls_modes_postgres");
    assertRefusedForTls(() -> PostgresKv.connect(config, KvLimits.DEFAULT),
        "PostgreSQL at 127.0.0.1:5432/test");
  }

  @ParameterizedTest
  @ValueSource(strings = {"DISABLED"})
  void mysqlModesThatAllowPlaintextConnect(String mode) {
    SqlServers.mysql();
    assertConnects(MysqlKv.connect(config(StoreAddresses.mysql(
        SqlServers.MYSQL_ADDRESS + "?ssl-mode=" + mode), "tls_modes_mysql"), KvLimits.DEFAULT));
  }

  /** PREFERRED among them: MariaDB Connector/J has no mode that falls back to plaintext. */
  @ParameterizedTest
  @ValueSource(strings = {"PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"})
  void mysqlModesThatDemandTlsAreRefusedNamingTls(String mode) {
    SqlServers.mysql();
    RdsKvConfig config = config(StoreAddresses.mysql(SqlServers.MYSQL_ADDRESS
        + "?ssl-mode=" + mode), "tls_modes_mysql");
    assertRefusedForTls(() -> MysqlKv.connect(config, KvLimits.DEFAULT),
        "MySQL at 127.0.0.1:3306/test");
  }

  private static void assertRefusedForTls(Runnable connect, String server) {
    assertThatThrownBy(connect::run)
        .isInstanceOf(KvException.class)
        .isNotInstanceOf(KvUnavailableException.class)
        .hasMessageContaining(server + " does not accept TLS")
        .hasMessageContaining("requires TLS");
  }

  private static RdsKvConfig config(RdsEndpoint endpoint, String table) {
    return RdsKvConfig.of(endpoint, table).withPoolSize(1)
        .withConnectAttempts(1, Duration.ofMillis(10));
  }

  private static void assertConnects(RdsKv store) {
    try (store) {
      store.put(io.metasrv.kv.Bytes.utf8("tls"), io.metasrv.kv.Bytes.utf8("plaintext"));
      assertThat(store.get(io.metasrv.kv.Bytes.utf8("tls"))).isPresent();
    }
  }
}
