package io.metasrv.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** What a {@link MaintenanceMode} asks for. */
public class MaintenanceModeSpec {
  @Required
  @JsonPropertyDescription("The MetasrvCluster, in this namespace, to keep in maintenance mode.")
  public ClusterRef clusterRef;

  @JsonPropertyDescription("Why, for the people who will wonder.")
  public String reason;

  /** A cluster in the same namespace. */
  public static class ClusterRef {
    @Required
    @JsonPropertyDescription("Name of the MetasrvCluster.")
    public String name;
  }
}
