package io.metasrv.operator.cluster.dependents;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec.PodTemplateOverlay;
import io.metasrv.operator.api.v1alpha1.MetasrvClusterSpec;
import io.metasrv.operator.model.ClusterNames;
import io.metasrv.operator.model.PodPorts;
import io.metasrv.operator.model.StoreConnection;
import io.metasrv.operator.model.ValidCluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metasrv pods. A StatefulSet, for stable pod names: each pod advertises {@code
 * <pod>.<peer-service>.<namespace>.svc:<rpc>} as its server_addr, which survives restarts, so
 * peers and datanodes keep reaching the node they knew. The config hash on the pod template rolls
 * the pods when the rendered configuration changes, the Secrets' versions when a referenced Secret
 * does, in the operator's order ({@code OnDelete}).
 */
@KubernetesDependent(informer = @Informer(labelSelector = OwnedObjects.SELECTOR))
public class StatefulSetDependent extends ClusterDependent<StatefulSet> {
  static final String CONTAINER = "metasrv";
  static final String POD_NAME_ENV = "POD_NAME";
  static final String POD_NAMESPACE_ENV = "POD_NAMESPACE";
  static final String READINESS_PATH = "/health";
  static final String LIVENESS_PATH = "/admin/health";
  private static final String CONFIG_VOLUME = "config";
  private static final String TLS_VOLUME = "tls";
  private static final String STORE_CREDENTIALS_VOLUME = "store-credentials";

  public StatefulSetDependent() {
    super(StatefulSet.class);
  }

  @Override
  StatefulSet desired(ValidCluster cluster) {
    ClusterNames names = cluster.names();
    PodTemplateOverlay overlay =
        cluster.spec().podTemplate != null ? cluster.spec().podTemplate : new PodTemplateOverlay();

    Map<String, String> podLabels = new LinkedHashMap<>(orEmpty(overlay.labels));
    podLabels.putAll(names.labels());
    Map<String, String> podAnnotations = new LinkedHashMap<>(orEmpty(overlay.annotations));
    podAnnotations.put(ClusterNames.CONFIG_HASH_ANNOTATION, cluster.config().sha256());
    if (!cluster.secretVersions().isEmpty()) {
      podAnnotations.put(ClusterNames.SECRET_VERSIONS_ANNOTATION, cluster.secretVersions());
    }

    return new StatefulSetBuilder()
        .withMetadata(metadata(cluster, names.statefulSet()))
        .withNewSpec()
        .withReplicas(cluster.replicas())
        .withServiceName(names.peerService())
        // Replicas elect among themselves; none waits for another to start.
        .withPodManagementPolicy("Parallel")
        // The operator replaces the pods itself, the leader last (rollout.RolloutPlanner): the
        // StatefulSet controller's own order, highest ordinal first, ignores who leads.
        .withNewUpdateStrategy()
        .withType("OnDelete")
        .endUpdateStrategy()
        .withNewSelector()
        .withMatchLabels(names.selectorLabels())
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(podLabels)
        .withAnnotations(podAnnotations)
        .endMetadata()
        .withSpec(podSpec(cluster, overlay))
        .endTemplate()
        .endSpec()
        .build();
  }

  private static PodSpec podSpec(
      ValidCluster cluster, PodTemplateOverlay overlay) {
    ClusterNames names = cluster.names();
    List<VolumeMount> mounts = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName(CONFIG_VOLUME)
            .withMountPath(ClusterNames.CONFIG_DIR)
            .withReadOnly(true)
            .build());
    volumes.add(
        new VolumeBuilder()
            .withName(CONFIG_VOLUME)
            .withNewConfigMap()
            .withName(names.configMap())
            .endConfigMap()
            .build());
    MetasrvClusterSpec.Tls tls = cluster.spec().tls;
    if (tls != null) {
      mounts.add(
          new VolumeMountBuilder()
              .withName(TLS_VOLUME)
              .withMountPath(ClusterNames.TLS_DIR)
              .withReadOnly(true)
              .build());
      volumes.add(
          new VolumeBuilder()
              .withName(TLS_VOLUME)
              .withNewSecret()
              .withSecretName(tls.secretName)
              .endSecret()
              .build());
    }
    StoreConnection store = cluster.store();
    if (store.hasCredentials()) {
      MetasrvClusterSpec.CredentialsSecret secret = store.sql().credentialsSecret;
      mounts.add(
          new VolumeMountBuilder()
              .withName(STORE_CREDENTIALS_VOLUME)
              .withMountPath(StoreConnection.CREDENTIALS_DIR)
              .withReadOnly(true)
              .build());
      // The password key alone, under a fixed name: the user name comes through the environment.
      volumes.add(
          new VolumeBuilder()
              .withName(STORE_CREDENTIALS_VOLUME)
              .withNewSecret()
              .withSecretName(secret.name)
              .addNewItem()
              .withKey(StoreConnection.passwordKey(secret))
              .withPath(StoreConnection.PASSWORD_FILE_NAME)
              .endItem()
              .endSecret()
              .build());
    }

    var container =
        new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(cluster.spec().image)
            .withArgs(
                "start",
                "--config-file",
                ClusterNames.CONFIG_DIR + "/" + ClusterNames.CONFIG_FILE_KEY,
                "--server-addr",
                names.podServerAddress("$(" + POD_NAME_ENV + ")", cluster.rpcPort()))
            .withEnv(env(cluster))
            .addNewPort()
            .withName(PodPorts.RPC)
            .withContainerPort(cluster.rpcPort())
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName(PodPorts.HTTP)
            .withContainerPort(cluster.httpPort())
            .withProtocol("TCP")
            .endPort()
            // Leaders and followers answer 200 (followers serve reads and name the leader);
            // a node that is starting, stopping or has lost its store answers 503.
            .withReadinessProbe(
                new ProbeBuilder()
                    .withNewHttpGet()
                    .withPath(READINESS_PATH)
                    .withPort(new IntOrString(PodPorts.HTTP))
                    .endHttpGet()
                    .withPeriodSeconds(5)
                    .withFailureThreshold(3)
                    .build())
            // /admin/health answers while the JVM serves HTTP, whatever the store and the
            // election say: a wedged JVM is restarted, a node that lost its store is not (a
            // restart would not bring the store back; readiness takes it out of the Services).
            // Generous: a long GC pause or a slow start on a busy node is no reason to restart.
            .withLivenessProbe(
                new ProbeBuilder()
                    .withNewHttpGet()
                    .withPath(LIVENESS_PATH)
                    .withPort(new IntOrString(PodPorts.HTTP))
                    .endHttpGet()
                    .withInitialDelaySeconds(30)
                    .withPeriodSeconds(10)
                    .withTimeoutSeconds(5)
                    .withFailureThreshold(6)
                    .build())
            .withResources(cluster.spec().resources)
            .withSecurityContext(overlay.containerSecurityContext)
            .withVolumeMounts(mounts)
            .build();

    return new PodSpecBuilder()
        .withServiceAccountName(names.serviceAccount())
        .withContainers(container)
        .withVolumes(volumes)
        .withNodeSelector(overlay.nodeSelector)
        .withTolerations(overlay.tolerations)
        .withAffinity(overlay.affinity)
        .withSecurityContext(overlay.securityContext)
        .build();
  }

  /**
   * The pod's name and namespace from the downward API (the name is part of server_addr; both
   * identify a Lease candidate), and for SQL stores the user name from the credentials Secret as
   * {@code [backend_auth] username} (the password is a mounted file, see {@link StoreConnection}).
   */
  private static List<EnvVar> env(ValidCluster cluster) {
    List<EnvVar> env = new ArrayList<>();
    env.add(fieldRef(POD_NAME_ENV, "metadata.name"));
    env.add(fieldRef(POD_NAMESPACE_ENV, "metadata.namespace"));
    StoreConnection store = cluster.store();
    if (store.hasCredentials()) {
      MetasrvClusterSpec.CredentialsSecret secret = store.sql().credentialsSecret;
      env.add(secretRef(StoreConnection.USERNAME_ENV, secret.name,
          StoreConnection.usernameKey(secret)));
    }
    return env;
  }

  private static EnvVar fieldRef(String name, String fieldPath) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(fieldPath)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static EnvVar secretRef(String name, String secret, String key) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName(secret)
        .withKey(key)
        .endSecretKeyRef()
        .endValueFrom()
        .build();
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map != null ? map : Map.of();
  }
}
