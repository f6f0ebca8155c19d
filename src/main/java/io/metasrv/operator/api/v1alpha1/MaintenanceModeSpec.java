package io.metasrv.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What a {@link MaintenanceMode} asks for. */
public class MaintenanceModeSpec {
  // Immutable: moving a request to another cluster would leave the first one's flag on with
  // nothing left to turn it off. Create another MaintenanceMode instead.
  @Required
  @ValidationRule(value = "self == oldSelf", message = "clusterRef is immutable")
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
