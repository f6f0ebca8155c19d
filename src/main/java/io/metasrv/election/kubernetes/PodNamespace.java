package io.metasrv.election.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Which namespace the election's Leases live in when the configuration does not say. */
final class PodNamespace {
  /** Where Kubernetes mounts the pod's namespace along with its service-account token. */
  static final Path SERVICE_ACCOUNT_FILE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  private PodNamespace() {}

  /**
   * The configured namespace, else {@code POD_NAMESPACE} (set from the downward API), else the
   * service-account namespace file, else the kubeconfig context's namespace.
   *
   * @throws IllegalArgumentException when none of them names one
   */
  static String resolve(Optional<String> configured, Map<String, String> environment,
      Path serviceAccountFile, Optional<String> kubeconfigNamespace) {
    return configured
        .or(() -> Optional.ofNullable(environment.get("POD_NAMESPACE")))
        .filter(namespace -> !namespace.isBlank())
        .or(() -> read(serviceAccountFile))
        .or(() -> kubeconfigNamespace.filter(namespace -> !namespace.isBlank()))
        .map(String::trim)
        .orElseThrow(() -> new IllegalArgumentException("no namespace for the election Lease: "
            + "set election.namespace or POD_NAMESPACE, or run in a pod ("
            + serviceAccountFile + ")"));
  }

  private static Optional<String> read(Path file) {
    try {
      return Files.isReadable(file)
          ? Optional.of(Files.readString(file).trim()).filter(text -> !text.isEmpty())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
