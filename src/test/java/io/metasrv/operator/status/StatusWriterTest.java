package io.metasrv.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.metasrv.operator.api.v1alpha1.MaintenanceMode;
import io.metasrv.operator.api.v1alpha1.MaintenanceModeSpec;
import io.metasrv.operator.api.v1alpha1.MaintenanceModeStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusWriterTest {

  @Test
  void theServerSideApplyOfAStatusCarriesTheStatusAndTheObjectsIdentityOnly() {
    MaintenanceMode mode = new MaintenanceMode();
    mode.setMetadata(new ObjectMetaBuilder()
        .withName("upgrade")
        .withNamespace("prod")
        .withResourceVersion("42")
        .withLabels(Map.of("team", "storage"))
        .withAnnotations(Map.of("argocd.argoproj.io/tracking-id", "app:metasrv"))
        .withFinalizers(List.of("maintenancemodes.metasrv.io/finalizer"))
        .build());
    mode.setSpec(new MaintenanceModeSpec());
    mode.getSpec().reason = "upgrading etcd";
    MaintenanceModeStatus status = new MaintenanceModeStatus();
    status.observedGeneration = 3L;

    JsonNode applied = Serialization.jsonMapper().valueToTree(
        StatusWriter.statusOnly(mode, status));

    assertThat(applied.fieldNames()).toIterable()
        .containsExactlyInAnyOrder("apiVersion", "kind", "metadata", "status");
    assertThat(applied.get("apiVersion").asText()).isEqualTo(mode.getApiVersion());
    assertThat(applied.get("kind").asText()).isEqualTo("MaintenanceMode");
    assertThat(applied.get("metadata").fieldNames()).toIterable()
        .containsExactlyInAnyOrder("name", "namespace");
    assertThat(applied.get("metadata").get("name").asText()).isEqualTo("upgrade");
    assertThat(applied.get("metadata").get("namespace").asText()).isEqualTo("prod");
    assertThat(applied.get("status").get("observedGeneration").asLong()).isEqualTo(3L);
    assertThat(mode.getMetadata().getLabels()).as("the resource itself is left alone")
        .containsEntry("team", "storage");
  }
}
