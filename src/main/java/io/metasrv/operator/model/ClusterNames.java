package io.metasrv.operator.model;

import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Names and labels of the objects the operator owns for one cluster. */
public record ClusterNames(String cluster, String namespace) {
  public static final String NAME_LABEL = "app.kubernetes.io/name";
  public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "metasrv-operator";
  /** On the pod template: changing the rendered configuration changes it, which rolls the pods. */
  public static final String CONFIG_HASH_ANNOTATION = "metasrv.io/config-hash";
  public static final String SECRET_VERSIONS_ANNOTATION = "metasrv.io/secret-versions";
  public static final String CONFIG_FILE_KEY = "config.toml";
  public static final String CONFIG_DIR = "/etc/metasrv/config";
  public static final String TLS_DIR = "/etc/metasrv/tls";

  public static ClusterNames of(MetasrvCluster cluster) {
    return new ClusterNames(
        cluster.getMetadata().getName(), cluster.getMetadata().getNamespace());
  }

  public String statefulSet() {
    return cluster;
  }

  public String clientService() {
    return cluster;
  }

  /** The headless Service that gives each pod its stable DNS name. */
  public String peerService() {
    return cluster + "-peers";
  }

  public String configMap() {
    return cluster + "-config";
  }

  public String serviceAccount() {
    return cluster;
  }

  /** The Lease the pods elect their leader with, under {@code election.kind = kubernetes-lease}. */
  public String electionLease() {
    return cluster + "-leader";
  }

  public String electionRole() {
    return cluster + "-election";
  }

  public String podDisruptionBudget() {
    return cluster;
  }

  /** The address a pod advertises: its stable DNS name under the headless Service. */
  public String podServerAddress(String podName, int rpcPort) {
    return podName + "." + peerService() + "." + namespace + ".svc:" + rpcPort;
  }

  /** Selects the cluster's pods; never changes, as a StatefulSet's selector cannot. */
  public Map<String, String> selectorLabels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME_LABEL, "metasrv");
    labels.put(INSTANCE_LABEL, cluster);
    return labels;
  }

  /** On every owned object and pod, so the operator's informers watch only its own objects. */
  public Map<String, String> labels() {
    Map<String, String> labels = selectorLabels();
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    return labels;
  }

  /** {@link #selectorLabels()} in label-selector syntax, for the scale subresource. */
  public String selector() {
    return selectorLabels().entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
  }
}
