package io.metasrv.kv.rds;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where a PostgreSQL or MySQL store is and how to log in: what {@code store_addrs} says, with the
 * credentials and TLS settings that options may add. Independent of the {@code config} package,
 * which maps its options onto this record.
 *
 * @param flavor the database kind, for messages and the JDBC URL
 * @param host the server's host
 * @param port the server's port
 * @param database the database that holds the meta table
 * @param user the user to log in as
 * @param password the user's password, or {@code null}; never printed
 * @param driverProperties further JDBC driver properties (TLS, timeouts, application name)
 */
public record RdsEndpoint(Flavor flavor, String host, int port, String database, String user,
    String password, Map<String, String> driverProperties) {

  /** The two SQL stores, with their JDBC URL scheme and default port. */
  public enum Flavor {
    POSTGRES("PostgreSQL", "jdbc:postgresql", 5432),
    MYSQL("MySQL", "jdbc:mariadb", 3306);

    private final String displayName;
    private final String jdbcScheme;
    private final int defaultPort;

    Flavor(String displayName, String jdbcScheme, int defaultPort) {
      this.displayName = displayName;
      this.jdbcScheme = jdbcScheme;
      this.defaultPort = defaultPort;
    }

    public String displayName() {
      return displayName;
    }

    public int defaultPort() {
      return defaultPort;
    }
  }

  public RdsEndpoint {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(flavor.displayName() + " address names no host");
    }
    if (database == null || database.isEmpty()) {
      throw new IllegalArgumentException(flavor.displayName() + " address at " + host
          + " names no database");
    }
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException(flavor.displayName() + " address at " + host
          + " names no user");
    }
    driverProperties = Map.copyOf(driverProperties);
  }

  /** {@code host:port/database}, for messages; carries no credentials. */
  public String describe() {
    return host + ":" + port + "/" + database;
  }

  public String jdbcUrl() {
    String bracketed = host.contains(":") ? "[" + host + "]" : host;
    return flavor.jdbcScheme + "://" + bracketed + ":" + port + "/" + database;
  }

  /** The driver properties with user and password, for {@code DriverManager} and the pool. */
  public Properties connectionProperties() {
    Properties properties = new Properties();
    properties.putAll(driverProperties);
    properties.setProperty("user", user);
    if (password != null) {
      properties.setProperty("password", password);
    }
    return properties;
  }

  /** This endpoint logging in as {@code newUser} when given, with {@code newPassword} when given. */
  public RdsEndpoint withCredentials(String newUser, String newPassword) {
    return new RdsEndpoint(flavor, host, port, database,
        newUser == null || newUser.isEmpty() ? user : newUser,
        newPassword == null ? password : newPassword, driverProperties);
  }

  /** This endpoint with driver properties added; those the address already set are kept. */
  public RdsEndpoint withDefaultProperties(Map<String, String> defaults) {
    Map<String, String> merged = new LinkedHashMap<>(defaults);
    merged.putAll(driverProperties);
    return new RdsEndpoint(flavor, host, port, database, user, password, merged);
  }

  /** This endpoint with driver properties set, over those the address set. */
  public RdsEndpoint withProperties(Map<String, String> settings) {
    Map<String, String> merged = new LinkedHashMap<>(driverProperties);
    merged.putAll(settings);
    return new RdsEndpoint(flavor, host, port, database, user, password, merged);
  }

  @Override
  public String toString() {
    return flavor.displayName() + " " + user + "@" + describe();
  }
}
