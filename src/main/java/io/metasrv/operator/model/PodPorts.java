package io.metasrv.operator.model;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The two ports every metasrv container declares, by name. A running pod is asked on the port it
 * declares, not on what the spec says now: during a rollout, or while a spec that changed the
 * ports is Stalled, the two differ.
 */
public final class PodPorts {
  public static final String RPC = "rpc";
  public static final String HTTP = "http";

  private PodPorts() {}

  /** The port the pod's containers declare under {@code name}, else {@code fallback}. */
  public static int of(Pod pod, String name, int fallback) {
    return Optional.ofNullable(pod.getSpec())
        .map(spec -> spec.getContainers().stream())
        .orElseGet(Stream::empty)
        .map(Container::getPorts)
        .filter(Objects::nonNull)
        .flatMap(List::stream)
        .filter(port -> name.equals(port.getName()) && port.getContainerPort() != null)
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElse(fallback);
  }
}
