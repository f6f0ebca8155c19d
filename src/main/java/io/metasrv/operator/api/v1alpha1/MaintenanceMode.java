package io.metasrv.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A request that a cluster stay in maintenance mode. Maintenance is on while at least one of these
 * refers to the cluster, so several teams can hold it independently.
 */
@Group(MetasrvCluster.GROUP)
@Version(MetasrvCluster.VERSION)
@ShortNames("mmode")
@AdditionalPrinterColumn(
    name = "Cluster",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".spec.clusterRef.name")
@AdditionalPrinterColumn(
    name = "Applied",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Applied\")].status")
@AdditionalPrinterColumn(
    name = "Age",
    type = AdditionalPrinterColumn.Type.DATE,
    jsonPath = ".metadata.creationTimestamp")
public class MaintenanceMode extends CustomResource<MaintenanceModeSpec, MaintenanceModeStatus>
    implements Namespaced {

  /**
   * Required in the schema: without it, an object could exist with no spec at all, and
   * {@code --type=merge -p '{"spec":null}'} would get past the rules on its fields (transition
   * rules do not run when the field is absent on one side).
   */
  @Override
  @Required
  public MaintenanceModeSpec getSpec() {
    return super.getSpec();
  }
}
