package io.metasrv.operator.model;

import io.metasrv.config.ConfigLoader;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import java.util.List;

/**
 * How metasrv reaches its store ({@code store_addrs}). For PostgreSQL and MySQL the credentials
 * live in a Secret and never pass through a connection string: {@code store_addrs} names host,
 * port and database only; the user name reaches the server as {@code [backend_auth] username}
 * through the environment variable {@link #USERNAME_ENV} (a secretKeyRef), and the password as
 * a file of the Secret mounted at {@link #PASSWORD_FILE}, which the rendered configuration names
 * as {@code [backend_auth] password_file}. So a password may hold any character, and it is never
 * in the ConfigMap, the pod spec, nor in the operator's hands.
 */
public record StoreConnection(StoreKind kind, List<String> endpoints, MetasrvClusterSpec.Sql sql) {
  /** {@code [backend_auth] username}, as the server reads it from its environment. */
  public static final String USERNAME_ENV = ConfigLoader.ENV_PREFIX + "__BACKEND_AUTH__USERNAME";
  /** Where the pod mounts the credentials Secret; only its password key is projected. */
  public static final String CREDENTIALS_DIR = "/etc/metasrv/store-credentials";
  /** The file name of the password in {@link #CREDENTIALS_DIR}. */
  public static final String PASSWORD_FILE_NAME = "password";
  /** {@code [backend_auth] password_file} in the rendered configuration. */
  public static final String PASSWORD_FILE = CREDENTIALS_DIR + "/" + PASSWORD_FILE_NAME;

  /** {@code store_addrs} as written to the ConfigMap: where the store is, never who logs in. */
  public List<String> addressesWithoutCredentials() {
    return switch (kind) {
      case ETCD -> endpoints;
      case MEMORY -> List.of();
      case POSTGRES -> List.of("host=" + sql.host + " port=" + port() + " dbname=" + sql.database);
      case MYSQL -> List.of("mysql://" + sql.host + ":" + port() + "/" + sql.database);
    };
  }

  /** The key of the credentials Secret that holds the user name. */
  public static String usernameKey(MetasrvClusterSpec.CredentialsSecret credentials) {
    return credentials.usernameKey != null ? credentials.usernameKey : "username";
  }

  /** The key of the credentials Secret that holds the password. */
  public static String passwordKey(MetasrvClusterSpec.CredentialsSecret credentials) {
    return credentials.passwordKey != null ? credentials.passwordKey : "password";
  }

  public boolean hasCredentials() {
    return kind == StoreKind.POSTGRES || kind == StoreKind.MYSQL;
  }

  private int port() {
    return sql.port != null ? sql.port : kind.defaultPort();
  }
}
