package io.metasrv.kv.rds;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.KvException;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.testing.SqlServers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a store that cannot be used at start says: which server, and why. */
class RdsConnectionsTest {

  @Test
  void anUnreachableServerIsNamedAfterTheConfiguredAttempts() {
    RdsEndpoint nowhere = StoreAddresses.postgres("postgresql://postgres@127.0.0.1:1/test");
    RdsKvConfig config = RdsKvConfig.of(nowhere, "unreachable")
        .withConnectAttempts(2, Duration.ofMillis(10));

    assertThatThrownBy(() -> PostgresKv.connect(config, KvLimits.DEFAULT))
        .isInstanceOf(KvUnavailableException.class)
        .hasMessageContaining("cannot reach PostgreSQL at 127.0.0.1:1")
        .hasMessageContaining("after 2 attempts");
  }

  @Test
  void aWrongPasswordSaysSoAndIsNotRetried() {
    RdsEndpoint wrong = SqlServers.mysql().withCredentials("root", "not-the-password");
    RdsKvConfig config = RdsKvConfig.of(wrong, "wrong_password")
        .withConnectAttempts(3, Duration.ofSeconds(30));

    assertThatThrownBy(() -> MysqlKv.connect(config, KvLimits.DEFAULT))
        .isInstanceOf(KvException.class)
        .isNotInstanceOf(KvUnavailableException.class)
        .hasMessageContaining("refused to log in user \"root\" (wrong password")
        .hasMessageContaining("127.0.0.1:3306/test")
        .hasMessageNotContaining("not-the-password");
  }
}
