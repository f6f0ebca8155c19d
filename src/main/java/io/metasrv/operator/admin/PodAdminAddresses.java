package io.metasrv.operator.admin;

import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.util.Optional;

/** Where a pod's admin API is; tests map pods to local servers instead. */
@FunctionalInterface
public interface PodAdminAddresses {
  /** The base URI of the pod's admin API, or empty while the pod has no address yet. */
  Optional<URI> of(Pod pod, int httpPort);

  /** The pod's IP from its status: the operator runs in the cluster network. */
  static PodAdminAddresses podIp() {
    return (pod, httpPort) ->
        Optional.ofNullable(pod.getStatus())
            .map(status -> status.getPodIP())
            .filter(ip -> !ip.isEmpty())
            .map(ip -> URI.create("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + httpPort));
  }
}
