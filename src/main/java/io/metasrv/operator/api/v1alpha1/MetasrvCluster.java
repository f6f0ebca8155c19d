package io.metasrv.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A metasrv cluster: the replicas, their store and how they elect a leader. */
@Group(MetasrvCluster.GROUP)
@Version(MetasrvCluster.VERSION)
@ShortNames("msc")
@AdditionalPrinterColumn(
    name = "Ready",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Replicas",
    type = AdditionalPrinterColumn.Type.INTEGER,
    jsonPath = ".status.readyReplicas",
    getDescription = "replicas answering /health")
@AdditionalPrinterColumn(
    name = "Leader",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.leader.pod")
@AdditionalPrinterColumn(
    name = "Backend",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.backend")
@AdditionalPrinterColumn(
    name = "Maintenance",
    type = AdditionalPrinterColumn.Type.BOOLEAN,
    jsonPath = ".status.maintenance")
@AdditionalPrinterColumn(
    name = "Age",
    type = AdditionalPrinterColumn.Type.DATE,
    jsonPath = ".metadata.creationTimestamp")
public class MetasrvCluster extends CustomResource<MetasrvClusterSpec, MetasrvClusterStatus>
    implements Namespaced {
  public static final String GROUP = "metasrv.io";
  public static final String VERSION = "v1alpha1";

  /**
   * Required in the schema: without it, an object could exist with no spec at all, and
   * {@code --type=merge -p '{"spec":null}'} would get past the rules on its fields (transition
   * rules do not run when the field is absent on one side).
   */
  @Override
  @Required
  public MetasrvClusterSpec getSpec() {
    return super.getSpec();
  }
}
