package io.metasrv.kv.rds;

import io.metasrv.kv.rds.RdsEndpoint.Flavor;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code store_addrs} for the SQL stores as GreptimeDB takes them: PostgreSQL as a URL
 * ({@code postgresql://user:password@host:port/db?sslmode=require}) or a libpq key/value string
 * ({@code host=h port=5432 user=u password='a b' dbname=db}), both as tokio-postgres accepts them;
 * MySQL as a URL ({@code mysql://user:password@host:port/db?ssl-mode=REQUIRED}), as sqlx does.
 *
 * <p>Connection parameters that change the connection (TLS, connect timeout, application name)
 * become JDBC driver properties; a parameter this server does not know is refused, so a typo
 * never silently drops, say, TLS.
 */
public final class StoreAddresses {
  private static final Pattern URL = Pattern.compile(
      "(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?<userinfo>[^@/?]*)@)?(?<hostport>\\[[^]]*]"
          + "(?::\\d*)?|[^/?]*)(?:/(?<path>[^?]*))?(?:\\?(?<query>.*))?");
  private static final Pattern HOST_PORT = Pattern.compile(
      "(?<host>\\[[^]]*]|[^:]*)(?::(?<port>\\d*))?");

  /** The names {@link #fromUrl} gives a URL's own parts. */
  private static final java.util.Set<String> URL_PARTS =
      java.util.Set.of("host", "port", "user", "password", "dbname");

  /** libpq parameters and the pgjdbc property each becomes ({@code null}: handled here). */
  private static final Map<String, String> POSTGRES_PARAMETERS = parameterMap(
      "host", null, "hostaddr", null, "port", null, "user", null, "password", null,
      "dbname", null, "sslmode", "sslmode", "sslrootcert", "sslrootcert", "sslcert", "sslcert",
      "sslkey", "sslkey", "connect_timeout", "connectTimeout",
      "application_name", "ApplicationName", "options", "options");

  /** sqlx MySQL URL parameters and the MariaDB Connector/J property each becomes. */
  private static final Map<String, String> MYSQL_PARAMETERS = parameterMap(
      "ssl-mode", "sslMode", "ssl-ca", "serverSslCert", "charset", null, "collation", null,
      "timezone", null, "statement-cache-capacity", null);

  private StoreAddresses() {}

  /**
   * Parses a PostgreSQL address: a {@code postgresql://} or {@code postgres://} URL, or a libpq
   * key/value string.
   *
   * @throws IllegalArgumentException saying what is wrong, without repeating a password
   */
  public static RdsEndpoint postgres(String address) {
    String trimmed = address.trim();
    Map<String, String> parameters = trimmed.contains("://")
        ? fromUrl(trimmed, Flavor.POSTGRES, "postgresql", "postgres")
        : fromKeyValues(trimmed);
    Map<String, String> properties = new LinkedHashMap<>();
    parameters.forEach((key, value) -> {
      if (!POSTGRES_PARAMETERS.containsKey(key)) {
        throw new IllegalArgumentException("PostgreSQL address: unknown parameter \"" + key
            + "\"; known: " + String.join(", ", POSTGRES_PARAMETERS.keySet()));
      }
      String property = POSTGRES_PARAMETERS.get(key);
      if (property != null) {
        properties.put(property, value);
      }
    });
    String host = parameters.getOrDefault("host", parameters.getOrDefault("hostaddr", "localhost"));
    String user = parameters.getOrDefault("user", "postgres");
    return new RdsEndpoint(Flavor.POSTGRES, host,
        port(parameters.get("port"), Flavor.POSTGRES), parameters.getOrDefault("dbname", user),
        user, parameters.get("password"), properties);
  }

  /**
   * Parses a MySQL address: a {@code mysql://} URL.
   *
   * @throws IllegalArgumentException saying what is wrong, without repeating a password
   */
  public static RdsEndpoint mysql(String address) {
    Map<String, String> parameters = fromUrl(address.trim(), Flavor.MYSQL, "mysql", "mariadb");
    Map<String, String> properties = new LinkedHashMap<>();
    parameters.forEach((key, value) -> {
      if (URL_PARTS.contains(key)) {
        return;
      }
      if (!MYSQL_PARAMETERS.containsKey(key)) {
        throw new IllegalArgumentException("MySQL address: unknown parameter \"" + key
            + "\"; known: " + String.join(", ", MYSQL_PARAMETERS.keySet()));
      }
      String property = MYSQL_PARAMETERS.get(key);
      if (property != null) {
        properties.put(property, key.equals("ssl-mode") ? mysqlSslMode(value) : value);
      }
    });
    return new RdsEndpoint(Flavor.MYSQL, parameters.getOrDefault("host", "localhost"),
        port(parameters.get("port"), Flavor.MYSQL), parameters.get("dbname"),
        parameters.getOrDefault("user", "root"), parameters.get("password"), properties);
  }

  /** sqlx's {@code ssl-mode} values as MariaDB Connector/J's {@code sslMode}. */
  private static String mysqlSslMode(String sqlxMode) {
    return switch (sqlxMode.toLowerCase(Locale.ROOT)) {
      case "disabled" -> "disable";
      case "preferred", "required" -> "trust";
      case "verify_ca" -> "verify-ca";
      case "verify_identity" -> "verify-full";
      default -> throw new IllegalArgumentException("MySQL address: ssl-mode \"" + sqlxMode
          + "\" is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
    };
  }

  /**
   * A URL's parts under libpq's names ({@code host}, {@code port}, {@code user}, {@code
   * password}, {@code dbname}), followed by its query parameters.
   */
  private static Map<String, String> fromUrl(String address, Flavor flavor, String... schemes) {
    Matcher url = URL.matcher(address);
    if (!url.matches() || !java.util.List.of(schemes).contains(
        url.group("scheme").toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(flavor.displayName() + " address must look like "
          + schemes[0] + "://user:password@host:port/database, got "
          + address.replaceAll("//[^@/]*@", "//<credentials>@"));
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    String userInfo = url.group("userinfo");
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      parameters.put("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0) {
        parameters.put("password", decode(userInfo.substring(colon + 1)));
      }
    }
    Matcher hostPort = HOST_PORT.matcher(url.group("hostport"));
    if (hostPort.matches()) {
      String host = hostPort.group("host");
      if (!host.isEmpty()) {
        parameters.put("host", host.startsWith("[") ? host.substring(1, host.length() - 1)
            : decode(host));
      }
      if (hostPort.group("port") != null && !hostPort.group("port").isEmpty()) {
        parameters.put("port", hostPort.group("port"));
      }
    }
    if (url.group("path") != null && !url.group("path").isEmpty()) {
      parameters.put("dbname", decode(url.group("path")));
    }
    if (url.group("query") != null) {
      for (String pair : url.group("query").split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = decode(eq < 0 ? pair : pair.substring(0, eq));
        parameters.put(key, eq < 0 ? "" : decode(pair.substring(eq + 1)));
      }
    }
    return parameters;
  }

  /** libpq's {@code key=value} pairs, values optionally single-quoted with backslash escapes. */
  private static Map<String, String> fromKeyValues(String address) {
    Map<String, String> parameters = new LinkedHashMap<>();
    int i = 0;
    int n = address.length();
    while (true) {
      while (i < n && Character.isWhitespace(address.charAt(i))) {
        i++;
      }
      if (i == n) {
        return parameters;
      }
      int keyStart = i;
      while (i < n && address.charAt(i) != '=' && !Character.isWhitespace(address.charAt(i))) {
        i++;
      }
      String key = address.substring(keyStart, i);
      while (i < n && Character.isWhitespace(address.charAt(i))) {
        i++;
      }
      if (i == n || address.charAt(i) != '=') {
        throw new IllegalArgumentException("PostgreSQL address: \"" + key
            + "\" has no value; expected key=value pairs such as host=... dbname=...");
      }
      i++;
      while (i < n && Character.isWhitespace(address.charAt(i))) {
        i++;
      }
      StringBuilder value = new StringBuilder();
      if (i < n && address.charAt(i) == '\'') {
        i++;
        while (i < n && address.charAt(i) != '\'') {
          if (address.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          value.append(address.charAt(i++));
        }
        if (i == n) {
          throw new IllegalArgumentException(
              "PostgreSQL address: the value of \"" + key + "\" has no closing quote");
        }
        i++;
      } else {
        while (i < n && !Character.isWhitespace(address.charAt(i))) {
          if (address.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          value.append(address.charAt(i++));
        }
      }
      parameters.put(key, value.toString());
    }
  }

  private static int port(String port, Flavor flavor) {
    if (port == null || port.isEmpty()) {
      return flavor.defaultPort();
    }
    try {
      int parsed = Integer.parseInt(port);
      if (parsed >= 1 && parsed <= 65535) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(flavor.displayName() + " address: port \"" + port
        + "\" is not a number from 1 to 65535");
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static Map<String, String> parameterMap(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return map;
  }
}
