package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.metasrv.operator.model.PodPorts;
import io.metasrv.operator.model.ValidCluster;
import java.util.List;

/** The two ports every metasrv pod serves, named as the container names them ({@link PodPorts}). */
final class ServicePorts {
  private ServicePorts() {}

  static List<ServicePort> of(ValidCluster cluster) {
    return List.of(port(PodPorts.RPC, cluster.rpcPort()), port(PodPorts.HTTP, cluster.httpPort()));
  }

  private static ServicePort port(String name, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withProtocol("TCP")
        .withPort(port)
        .withTargetPort(new IntOrString(name))
        .build();
  }
}
