package io.metasrv.config;

import java.util.Optional;

/**
 * Credentials for the PostgreSQL or MySQL store ({@code [backend_auth]}), for deployments that
 * keep them out of {@code store_addrs}: set {@code password} through the environment ({@code
 * GREPTIMEDB_METASRV__BACKEND_AUTH__PASSWORD}) or name a file that holds it ({@code
 * password_file}, for example a mounted Kubernetes Secret). Whatever is set here replaces what
 * the address says; keys left unset leave the address's own. {@code password} wins over {@code
 * password_file} when both are set.
 *
 * @param username the user to log in as; unset: the address's
 * @param password the password; unset: the file's, else the address's
 * @param passwordFile a file whose content (without a trailing line break) is the password
 */
public record BackendAuthOptions(Optional<String> username, Optional<String> password,
    Optional<String> passwordFile) {

  public static BackendAuthOptions defaults() {
    return new BackendAuthOptions(Optional.empty(), Optional.empty(), Optional.empty());
  }
}
