package io.metasrv.operator.cluster;

import io.metasrv.operator.api.v1alpha1.MetasrvClusterStatus;
import java.util.Optional;

/** What the pods' admin APIs said, once per reconciliation. */
public record ClusterObservation(
    int pods, int servingPods, Optional<MetasrvClusterStatus.Leader> leader,
    Optional<Boolean> maintenance) {}
