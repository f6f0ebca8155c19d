package io.metasrv.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The cluster as the operator last saw it. Written only by the operator. */
public class MetasrvClusterStatus {
  @JsonPropertyDescription("The generation of the spec that this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Ready, Reconciling and Stalled, as kstatus reads them.")
  public List<Condition> conditions = new ArrayList<>();

  @StatusReplicas
  @JsonPropertyDescription("Pods that exist.")
  public Integer replicas;

  @JsonPropertyDescription("Pods whose /health answers leader or follower.")
  public Integer readyReplicas;

  @JsonPropertyDescription("The leader, as the pods report it.")
  public Leader leader;

  @JsonPropertyDescription("Whether maintenance mode is on, as the leader reports it.")
  public Boolean maintenance;

  @JsonPropertyDescription("The metadata store kind: etcd, postgres, mysql or memory.")
  public String backend;

  @LabelSelector
  @JsonPropertyDescription("Label selector of the pods, for the scale subresource.")
  public String selector;

  @Override
  public boolean equals(Object o) {
    return o instanceof MetasrvClusterStatus other
        && Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(conditions, other.conditions)
        && Objects.equals(replicas, other.replicas)
        && Objects.equals(readyReplicas, other.readyReplicas)
        && Objects.equals(leader, other.leader)
        && Objects.equals(maintenance, other.maintenance)
        && Objects.equals(backend, other.backend)
        && Objects.equals(selector, other.selector);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, conditions, replicas, readyReplicas, leader);
  }

  /** The elected leader. */
  public static class Leader {
    @JsonPropertyDescription("The leader's server_addr.")
    public String address;

    @JsonPropertyDescription("The pod that leads.")
    public String pod;

    @JsonPropertyDescription("Leader epoch, when the leader reports it.")
    public Long epoch;

    @Override
    public boolean equals(Object o) {
      return o instanceof Leader other
          && Objects.equals(address, other.address)
          && Objects.equals(pod, other.pod)
          && Objects.equals(epoch, other.epoch);
    }

    @Override
    public int hashCode() {
      return Objects.hash(address, pod, epoch);
    }
  }
}
