package io.metasrv.operator.cluster.dependents;

import io.metasrv.operator.model.ClusterNames;

/** What the dependents' informers select: only objects this operator made. */
final class OwnedObjects {
  static final String SELECTOR = ClusterNames.MANAGED_BY_LABEL + "=" + ClusterNames.MANAGED_BY;

  private OwnedObjects() {}
}
