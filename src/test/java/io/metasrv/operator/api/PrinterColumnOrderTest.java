package io.metasrv.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The order {@code kubectl get} shows the columns in, as the CRDs in crds/ have it, and the build
 * step that puts them in that order. {@code CrdFilesUpToDateTest} holds crds/ to the build's
 * output, so the order asserted here is the one the build produces.
 */
class PrinterColumnOrderTest {
  private static final Path CRDS = Path.of("crds");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  @Test
  void metasrvClusterColumnsAreReadyReplicasLeaderBackendMaintenanceAge() throws IOException {
    assertThat(columnNames(Files.readString(CRDS.resolve("metasrvclusters.metasrv.io-v1.yml"))))
        .containsExactly("Ready", "Replicas", "Leader", "Backend", "Maintenance", "Age");
  }

  @Test
  void maintenanceModeColumnsAreClusterAppliedAge() throws IOException {
    assertThat(columnNames(Files.readString(CRDS.resolve("maintenancemodes.metasrv.io-v1.yml"))))
        .containsExactly("Cluster", "Applied", "Age");
  }

  @Test
  void theBuildStepCoversEveryCrdInTheDirectory() throws IOException {
    try (Stream<Path> files = Files.list(CRDS)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(
              PrinterColumnOrder.RESOURCES.stream().map(PrinterColumnOrder::fileName).toList());
    }
  }

  /**
   * From the generator's order (by jsonPath) to exactly the committed file: the columns move,
   * every other byte is as the generator wrote it; and running it again changes nothing.
   */
  @Test
  void reorderingTheGeneratorsOrderGivesTheCommittedFileByteForByte() throws IOException {
    for (Class<? extends HasMetadata> resource : PrinterColumnOrder.RESOURCES) {
      String committed = Files.readString(CRDS.resolve(PrinterColumnOrder.fileName(resource)));
      String generatorOrder = sortedByJsonPath(committed);
      assertThat(columnNames(generatorOrder)).isNotEqualTo(columnNames(committed));

      assertThat(PrinterColumnOrder.reorder(generatorOrder, resource)).isEqualTo(committed);
      assertThat(PrinterColumnOrder.reorder(committed, resource)).isEqualTo(committed);
    }
  }

  /** What fabric8's crd-generator 7.5.2 writes: the columns by jsonPath, case-insensitively. */
  private static String sortedByJsonPath(String crdFile) {
    CustomResourceDefinition crd =
        SERIALIZATION.unmarshal(
            crdFile.substring(PrinterColumnOrder.HEADER.length()), CustomResourceDefinition.class);
    crd.getSpec()
        .getVersions()
        .forEach(
            version -> {
              List<CustomResourceColumnDefinition> columns =
                  new ArrayList<>(version.getAdditionalPrinterColumns());
              columns.sort(
                  Comparator.comparing(
                      CustomResourceColumnDefinition::getJsonPath, String.CASE_INSENSITIVE_ORDER));
              version.setAdditionalPrinterColumns(columns);
            });
    return PrinterColumnOrder.HEADER + SERIALIZATION.asYaml(crd).substring("---\n".length());
  }

  private static List<String> columnNames(String crd) throws IOException {
    JsonNode columns =
        new YAMLMapper().readTree(crd).at("/spec/versions/0/additionalPrinterColumns");
    return StreamSupport.stream(columns.spliterator(), false)
        .map(column -> column.path("name").asText())
        .toList();
  }
}
