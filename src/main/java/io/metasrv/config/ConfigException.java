package io.metasrv.config;

/**
 * The configuration cannot be used. Says which key, why, and which layer (a file path, an
 * environment variable, a command-line flag, or the defaults) supplied the offending value, because
 * an operator with three layers of configuration needs to know which one to fix.
 */
public final class ConfigException extends RuntimeException {
  private final String keyPath;
  private final String reason;
  private final String source;

  /**
   * @param keyPath dotted key path such as {@code http.addr}; empty when the problem is not tied to
   *     one key (for example malformed TOML)
   * @param reason what is wrong, phrased for the operator
   * @param source the layer that supplied the value
   */
  public ConfigException(String keyPath, String reason, String source) {
    super(message(keyPath, reason, source));
    this.keyPath = keyPath;
    this.reason = reason;
    this.source = source;
  }

  private static String message(String keyPath, String reason, String source) {
    String key = keyPath.isEmpty() ? "" : ": " + keyPath;
    return "invalid configuration" + key + " (in " + source + "): " + reason;
  }

  public String keyPath() {
    return keyPath;
  }

  public String reason() {
    return reason;
  }

  public String source() {
    return source;
  }
}
