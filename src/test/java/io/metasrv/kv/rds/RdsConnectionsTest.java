package io.metasrv.kv.rds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metasrv.kv.KvException;
import io.metasrv.kv.KvLimits;
import io.metasrv.kv.KvUnavailableException;
import io.metasrv.testing.SqlServers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
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

  @Test
  void aNewPooledConnectionIsMadeOnceTheServerAnswersAgainWithoutTheCallerRetrying()
      throws Exception {
    RdsEndpoint postgres = SqlServers.postgres();
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      listener.setSoTimeout(30_000);
      Map<String, String> plain = new HashMap<>(postgres.driverProperties());
      plain.put("sslmode", "disable"); // one attempt per connect, no second try without TLS
      RdsEndpoint restarting = new RdsEndpoint(postgres.flavor(), "127.0.0.1",
          listener.getLocalPort(), postgres.database(), postgres.user(), postgres.password(),
          plain);
      CompletableFuture<Connection> connecting = CompletableFuture.supplyAsync(() -> {
        try {
          return new ReconnectingDataSource(restarting).getConnection();
        } catch (SQLException e) {
          throw new CompletionException(e);
        }
      });

      listener.accept().close(); // the first attempt: hung up on, as by a server going down
      try (Socket client = listener.accept(); // the next one reaches the real server
          Socket server = new Socket(postgres.host(), postgres.port())) {
        pipe(client, server);
        pipe(server, client);
        try (Connection connection = connecting.get(30, TimeUnit.SECONDS);
            Statement statement = connection.createStatement();
            ResultSet rows = statement.executeQuery("SELECT 1")) {
          assertThat(rows.next()).isTrue();
          assertThat(rows.getInt(1)).isEqualTo(1);
        }
      }
    }
  }

  private static void pipe(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      try {
        from.getInputStream().transferTo(to.getOutputStream());
      } catch (IOException e) {
        // one side closed: the test is over
      }
    }, "pipe");
    thread.setDaemon(true);
    thread.start();
  }
}
