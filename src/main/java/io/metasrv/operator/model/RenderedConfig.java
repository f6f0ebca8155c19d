package io.metasrv.operator.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The metasrv TOML for a cluster's ConfigMap, and its hash for the pod template. */
public record RenderedConfig(String toml) {
  public String sha256() {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(toml.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
