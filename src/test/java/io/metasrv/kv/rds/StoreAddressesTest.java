package io.metasrv.kv.rds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StoreAddressesTest {

  @Test
  void postgresUrlGivesHostPortDatabaseAndCredentials() {
    RdsEndpoint endpoint = StoreAddresses.postgres(
        "postgresql://meta:p%40ss%2Cw0rd@db.example:6543/metadata?sslmode=require");
    assertThat(endpoint.host()).isEqualTo("db.example");
    assertThat(endpoint.port()).isEqualTo(6543);
    assertThat(endpoint.database()).isEqualTo("metadata");
    assertThat(endpoint.user()).isEqualTo("meta");
    assertThat(endpoint.password()).isEqualTo("p@ss,w0rd");
    assertThat(endpoint.driverProperties()).containsEntry("sslmode", "require");
    assertThat(endpoint.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/metadata");
  }

  @Test
  void postgresUrlDefaultsAsLibpq() {
    RdsEndpoint endpoint = StoreAddresses.postgres("postgres://127.0.0.1");
    assertThat(endpoint.port()).isEqualTo(5432);
    assertThat(endpoint.user()).isEqualTo("postgres");
    assertThat(endpoint.database()).isEqualTo("postgres");
    assertThat(endpoint.password()).isNull();
  }

  @Test
  void postgresKeyValueStringWithQuotedValues() {
    RdsEndpoint endpoint = StoreAddresses.postgres(
        "host=10.0.0.5 port=5433 user=meta password='it''s, @ me' dbname=test"
            .replace("''", "\\'") + " connect_timeout=3");
    assertThat(endpoint.host()).isEqualTo("10.0.0.5");
    assertThat(endpoint.port()).isEqualTo(5433);
    assertThat(endpoint.user()).isEqualTo("meta");
    assertThat(endpoint.password()).isEqualTo("it's, @ me");
    assertThat(endpoint.database()).isEqualTo("test");
    assertThat(endpoint.driverProperties()).isEqualTo(Map.of("connectTimeout", "3"));
  }

  @Test
  void unknownParametersAndBadPortsAreRefused() {
    assertThatThrownBy(() -> StoreAddresses.postgres("host=h sslmod=require"))
        .hasMessageContaining("unknown parameter \"sslmod\"");
    assertThatThrownBy(() -> StoreAddresses.postgres("postgresql://h:99999/db"))
        .hasMessageContaining("port \"99999\"");
    assertThatThrownBy(() -> StoreAddresses.postgres("host=h password='open"))
        .hasMessageContaining("no closing quote");
  }

  @Test
  void mysqlUrl() {
    RdsEndpoint endpoint = StoreAddresses.mysql(
        "mysql://root:s%3Dcret@127.0.0.1:3307/greptime?ssl-mode=VERIFY_CA&ssl-ca=/ca.pem");
    assertThat(endpoint.host()).isEqualTo("127.0.0.1");
    assertThat(endpoint.port()).isEqualTo(3307);
    assertThat(endpoint.database()).isEqualTo("greptime");
    assertThat(endpoint.user()).isEqualTo("root");
    assertThat(endpoint.password()).isEqualTo("s=cret");
    assertThat(endpoint.driverProperties())
        .isEqualTo(Map.of("sslMode", "verify-ca", "serverSslCert", "/ca.pem"));
    assertThat(endpoint.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3307/greptime");
  }

  @Test
  void mysqlNeedsADatabaseAndMessagesHideThePassword() {
    assertThatThrownBy(() -> StoreAddresses.mysql("mysql://root@127.0.0.1:3306"))
        .hasMessageContaining("names no database");
    assertThatThrownBy(() -> StoreAddresses.mysql("postgresql://root:hunter2@h/db"))
        .hasMessageContaining("mysql://user:password@host:port/database")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void credentialsFromOptionsReplaceThoseOfTheAddress() {
    RdsEndpoint endpoint = StoreAddresses.mysql("mysql://root:old@h/db")
        .withCredentials("meta", "new");
    assertThat(endpoint.user()).isEqualTo("meta");
    assertThat(endpoint.password()).isEqualTo("new");
    assertThat(endpoint.toString()).doesNotContain("new");
  }
}
