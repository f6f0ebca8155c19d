package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodNamespaceTest {
  @TempDir Path dir;

  private Path serviceAccountFile(String content) throws IOException {
    Path file = dir.resolve("namespace");
    Files.writeString(file, content);
    return file;
  }

  @Test
  void configuredNamespaceWins() throws IOException {
    assertThat(PodNamespace.resolve(Optional.of("configured"), Map.of("POD_NAMESPACE", "env"),
        serviceAccountFile("pod"), Optional.of("kubeconfig"))).isEqualTo("configured");
  }

  @Test
  void thenPodNamespaceVariableThenServiceAccountFileThenKubeconfig() throws IOException {
    Path file = serviceAccountFile("pod\n");
    Path missing = dir.resolve("missing");
    assertThat(PodNamespace.resolve(Optional.empty(), Map.of("POD_NAMESPACE", "env"), file,
        Optional.of("kubeconfig"))).isEqualTo("env");
    assertThat(PodNamespace.resolve(Optional.empty(), Map.of(), file, Optional.of("kubeconfig")))
        .isEqualTo("pod");
    assertThat(PodNamespace.resolve(Optional.empty(), Map.of("POD_NAMESPACE", " "), missing,
        Optional.of("kubeconfig"))).isEqualTo("kubeconfig");
  }

  @Test
  void noNamespaceAnywhereSaysWhatToSet() {
    assertThatThrownBy(() -> PodNamespace.resolve(Optional.empty(), Map.of(),
        dir.resolve("missing"), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("set election.namespace or POD_NAMESPACE");
  }
}
