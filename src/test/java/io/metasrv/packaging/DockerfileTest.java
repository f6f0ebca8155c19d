package io.metasrv.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile cannot be built here (no Docker daemon); this holds what it shares with the rest
 * of the repository: the jar the build writes, and the user the manifests run as.
 */
class DockerfileTest {
  private static final List<String> LINES = lines(Path.of("Dockerfile"));

  @Test
  void copiesTheJarThatThePomBuilds() throws IOException {
    Matcher finalName = Pattern.compile("<finalName>([^<]+)</finalName>")
        .matcher(Files.readString(Path.of("pom.xml")));
    assertThat(finalName.find()).isTrue();
    assertThat(LINES).anyMatch(l -> l.startsWith("COPY --from=build /src/target/"
        + finalName.group(1) + ".jar "));
  }

  @Test
  void buildsWithMavenAndRunsOnAJreAsTheUserTheManifestsRunAs() {
    List<String> stages = LINES.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(stages).hasSize(2);
    assertThat(stages.get(0)).contains("maven").endsWith(" AS build");
    assertThat(stages.get(1)).contains("-jre");

    String user = LINES.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b)
        .orElseThrow().substring("USER ".length()).split(":")[0];
    // Numeric, so that runAsNonRoot can verify it without a passwd lookup.
    assertThat(user).matches("[1-9][0-9]*");
    assertThat(Manifests.only(Manifests.read(Manifests.INSTALL), "Deployment")
        .at("/spec/template/spec/securityContext/runAsUser").asText()).isEqualTo(user);
    assertThat(Manifests.read(Manifests.CHART.resolve("values.yaml")).get(0)
        .at("/podSecurityContext/runAsUser").asText()).isEqualTo(user);
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file).stream().map(String::strip).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
