package io.metasrv.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version and git commit baked into the jar at build time.
 *
 * @param version the Maven project version
 * @param gitCommit the short commit id, or {@code unknown} when built outside a git checkout
 */
public record BuildInfo(String version, String gitCommit) {
  private static final String RESOURCE = "/metasrv-build.properties";
  private static final BuildInfo CURRENT = load();

  public static BuildInfo current() {
    return CURRENT;
  }

  private static BuildInfo load() {
    Properties props = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        props.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return new BuildInfo(resolved(props.getProperty("version")),
        resolved(props.getProperty("git.commit")));
  }

  /** Maven leaves {@code ${...}} in place when a property was not set (no git directory). */
  private static String resolved(String value) {
    return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
  }
}
