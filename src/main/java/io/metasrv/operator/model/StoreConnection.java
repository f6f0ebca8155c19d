package io.metasrv.operator.model;

import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import java.util.List;

/**
 * How metasrv reaches its store ({@code store_addrs}). For PostgreSQL and MySQL the credentials
 * live in a Secret: the ConfigMap gets the connection string without them, and the pod gets the
 * full one in an environment variable that Kubernetes assembles from the Secret's keys, so the
 * password is never in the ConfigMap nor in the operator's hands.
 */
public record StoreConnection(StoreKind kind, List<String> endpoints, MetasrvClusterSpec.Sql sql) {
  public static final String USERNAME_ENV = "METASRV_STORE_USERNAME";
  public static final String PASSWORD_ENV = "METASRV_STORE_PASSWORD";

  /** {@code store_addrs} as written to the ConfigMap. */
  public List<String> addressesWithoutCredentials() {
    return switch (kind) {
      case ETCD -> endpoints;
      case MEMORY -> List.of();
      case POSTGRES -> List.of(postgres(""));
      case MYSQL -> List.of(mysql(""));
    };
  }

  /**
   * {@code store_addrs} with the credentials as {@code $(VAR)} references, which the kubelet
   * expands from the variables {@link #USERNAME_ENV} and {@link #PASSWORD_ENV} defined before it.
   */
  public String addressWithCredentialReferences() {
    return switch (kind) {
      case ETCD, MEMORY ->
          throw new IllegalStateException(kind.specName() + " takes no credentials here");
      case POSTGRES ->
          postgres(" user=$(" + USERNAME_ENV + ") password=$(" + PASSWORD_ENV + ")");
      case MYSQL -> mysql("$(" + USERNAME_ENV + "):$(" + PASSWORD_ENV + ")@");
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

  private String postgres(String credentials) {
    return "host=" + sql.host + " port=" + port() + " dbname=" + sql.database + credentials;
  }

  private String mysql(String credentials) {
    return "mysql://" + credentials + sql.host + ":" + port() + "/" + sql.database;
  }

  private int port() {
    return sql.port != null ? sql.port : kind.defaultPort();
  }
}
