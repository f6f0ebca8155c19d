package io.metasrv.operator.model;

import io.metasrv.config.BackendKind;

/** The metadata store a cluster uses, with what the operator needs to know about each. */
public enum StoreKind {
  ETCD("etcd", BackendKind.ETCD_STORE, 2379),
  POSTGRES("postgres", BackendKind.POSTGRES_STORE, 5432),
  MYSQL("mysql", BackendKind.MYSQL_STORE, 3306),
  /** In the memory of the single replica; there is nothing to connect to. */
  MEMORY("memory", BackendKind.MEMORY_STORE, 0);

  private final String specName;
  private final BackendKind backend;
  private final int defaultPort;

  StoreKind(String specName, BackendKind backend, int defaultPort) {
    this.specName = specName;
    this.backend = backend;
    this.defaultPort = defaultPort;
  }

  /** The field of {@code spec.backend} that selects it, also shown in status. */
  public String specName() {
    return specName;
  }

  public BackendKind backend() {
    return backend;
  }

  public int defaultPort() {
    return defaultPort;
  }
}
