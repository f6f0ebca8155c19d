package io.metasrv.config;

import java.util.Locale;

/** The store that holds the cluster metadata ({@code backend}). */
public enum BackendKind implements ConfigEnum {
  ETCD_STORE,
  MEMORY_STORE,
  POSTGRES_STORE,
  MYSQL_STORE;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
