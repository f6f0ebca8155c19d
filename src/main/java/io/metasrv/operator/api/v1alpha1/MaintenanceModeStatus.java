package io.metasrv.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Whether the cluster's leader is in maintenance mode on this request's behalf. */
public class MaintenanceModeStatus {
  @JsonPropertyDescription("The generation of the spec that the conditions describe.")
  public Long observedGeneration;

  @JsonPropertyDescription("Applied: maintenance is on at the cluster's current leader.")
  public List<Condition> conditions = new ArrayList<>();

  @Override
  public boolean equals(Object o) {
    return o instanceof MaintenanceModeStatus other
        && Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(conditions, other.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, conditions);
  }
}
