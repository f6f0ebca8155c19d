package io.metasrv.config;

import java.util.Locale;

/** How the metasrv nodes elect their leader ({@code election.kind}). */
public enum ElectionKind implements ConfigEnum {
  /** The store's own election: etcd leases for {@code etcd_store}, a lone leader in memory. */
  BACKEND,
  /** A {@code coordination.k8s.io/v1} Lease, whatever the store. */
  KUBERNETES_LEASE;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
