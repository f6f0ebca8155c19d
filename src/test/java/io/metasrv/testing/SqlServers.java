package io.metasrv.testing;

import io.metasrv.kv.rds.RdsConnections;
import io.metasrv.kv.rds.RdsEndpoint;
import io.metasrv.kv.rds.StoreAddresses;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL and MariaDB servers that run on the test machine: PostgreSQL on
 * 127.0.0.1:5432 (trust authentication, database {@code test}), MariaDB on 127.0.0.1:3306 (root
 * without a password, database {@code test}). A test that cannot reach its server is skipped,
 * except under {@code CI=true}, where it fails.
 */
public final class SqlServers {
  public static final String POSTGRES_ADDRESS = "postgresql://postgres@127.0.0.1:5432/test";
  public static final String MYSQL_ADDRESS = "mysql://root@127.0.0.1:3306/test";

  private SqlServers() {}

  /** PostgreSQL, after checking that it answers. */
  public static RdsEndpoint postgres() {
    return require(StoreAddresses.postgres(POSTGRES_ADDRESS));
  }

  /** MariaDB, after checking that it answers. */
  public static RdsEndpoint mysql() {
    return require(StoreAddresses.mysql(MYSQL_ADDRESS));
  }

  /** Drops the meta table {@code table} and what our stores keep beside it. */
  public static void dropTable(RdsEndpoint endpoint, String table) {
    boolean postgres = endpoint.flavor() == RdsEndpoint.Flavor.POSTGRES;
    String quote = postgres ? "\"" : "`";
    execute(endpoint, "DROP TABLE IF EXISTS " + quote + table + quote,
        postgres ? "DROP SEQUENCE IF EXISTS " + quote + table + "_revision" + quote
            : "DROP TABLE IF EXISTS " + quote + table + "_revision" + quote);
  }

  /** Runs statements on a connection of its own. */
  public static void execute(RdsEndpoint endpoint, String... statements) {
    try (Connection connection = RdsConnections.open(endpoint, Duration.ofSeconds(5),
        Duration.ofSeconds(30)); Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run " + String.join("; ", statements) + " on "
          + endpoint + ": " + e.getMessage(), e);
    }
  }

  /** The first column of the first row of {@code query}. */
  public static long queryLong(RdsEndpoint endpoint, String query) {
    return queryLongs(endpoint, query).get(0);
  }

  /** The first column of every row of {@code query}. */
  public static List<Long> queryLongs(RdsEndpoint endpoint, String query) {
    try (Connection connection = RdsConnections.open(endpoint, Duration.ofSeconds(5),
        Duration.ofSeconds(30)); Statement statement = connection.createStatement();
        java.sql.ResultSet rows = statement.executeQuery(query)) {
      List<Long> values = new ArrayList<>();
      while (rows.next()) {
        values.add(rows.getLong(1));
      }
      return values;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run " + query + " on " + endpoint + ": "
          + e.getMessage(), e);
    }
  }

  private static RdsEndpoint require(RdsEndpoint endpoint) {
    try (Connection connection = RdsConnections.open(endpoint, Duration.ofSeconds(3),
        Duration.ofSeconds(10))) {
      return endpoint;
    } catch (SQLException e) {
      String message = endpoint + " is not reachable (" + e.getMessage() + "); .ci/run starts"
          + " it, or start it by hand";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        Assertions.fail(message + " [CI=true: a missing service fails the build]");
      }
      Assumptions.abort(message);
      return endpoint;
    }
  }
}
