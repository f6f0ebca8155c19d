package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.time.Duration;
import java.util.Optional;

/** Builds the fabric8 client the election talks to the API server with. */
final class KubernetesClients {
  private KubernetesClients() {}

  /**
   * A client configured from {@code kubeconfig} when given, else by fabric8's
   * auto-configuration ({@code KUBECONFIG} or {@code ~/.kube/config} when there is one, else
   * the pod's service account).
   *
   * @param requestTimeout the longest one call may take; fabric8's own retries are turned off,
   *     as the election retries every retry period and must see each failure in time
   * @throws IllegalArgumentException when the kubeconfig cannot be read
   */
  static KubernetesClient connect(Optional<String> kubeconfig, Duration requestTimeout) {
    Config config;
    if (kubeconfig.isPresent()) {
      File file = new File(kubeconfig.get());
      if (!file.isFile()) {
        throw new IllegalArgumentException("election.kubeconfig " + file + " is not a file");
      }
      try {
        config = Config.fromKubeconfig(file);
      } catch (KubernetesClientException e) {
        throw new IllegalArgumentException("cannot read election.kubeconfig " + file + ": "
            + LeaseCalls.describe(e), e);
      }
    } else {
      config = Config.autoConfigure(null);
    }
    int timeoutMillis = Math.toIntExact(requestTimeout.toMillis());
    config.setRequestRetryBackoffLimit(0);
    config.setRequestTimeout(timeoutMillis);
    config.setConnectionTimeout(timeoutMillis);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
