package io.metasrv.e2e;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The e2e kubelet and StatefulSet controller, for the mock API server, which has neither. Every
 * half second it makes the pods {@code <sts>-0..N-1} that each StatefulSet asks for, runs each as
 * a local {@code java -jar metasrv.jar} process (the container's args and env, its ConfigMap and
 * Secret volumes written to files and the args' mount paths rewritten to them) on its own loopback
 * address 127.0.0.N, so that the pods' real ports are used; reports podIP, phase, readiness (from
 * the readiness probe's HTTP GET) and terminations into the pod's status and the counts and
 * revisions into the StatefulSet's status; deletes pods beyond the replicas, kills the process of
 * a deleted pod (SIGTERM) and makes the pod again on the update revision, rolls the pods itself
 * one at a time unless the update strategy is {@code OnDelete}, restarts a process that died or
 * failed its liveness probe (its HTTP GET, with the probe's timings), as a kubelet restarts a
 * container. It also plays the garbage collector for the kinds the operator owns, since the mock
 * has no owner-reference GC.
 *
 * <p>{@code PodRunner <work-dir> <metasrv.jar>}; the API server from KUBECONFIG. Pids go to
 * {@code <work-dir>/pods/<ns>/<pod>/pid}, logs to {@code .../log}.
 */
public final class PodRunner {
  private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);
  private static final List<String> GC_KINDS = List.of(
      "apps/v1:StatefulSet", "v1:Service", "v1:ConfigMap", "v1:ServiceAccount",
      "rbac.authorization.k8s.io/v1:Role", "rbac.authorization.k8s.io/v1:RoleBinding",
      "policy/v1:PodDisruptionBudget", "v1:Pod");

  private final KubernetesClient client;
  private final Path work;
  private final Path jar;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final Map<String, Local> locals = new LinkedHashMap<>();
  private final Map<String, Integer> addresses = new HashMap<>();
  private int nextAddress = 2;
  private volatile boolean stopping;

  /** A pod's process, as this node runs it. */
  private static final class Local {
    final String namespace;
    final String name;
    final String ip;
    final Path dir;
    String revision;
    Process process;
    int restarts;
    Integer lastExit;
    Instant startedAt;
    Instant diedAt;
    boolean ready;
    Instant livenessCheckedAt;
    int livenessFailures;

    Local(String namespace, String name, String ip, Path dir) {
      this.namespace = namespace;
      this.name = name;
      this.ip = ip;
      this.dir = dir;
    }
  }

  PodRunner(KubernetesClient client, Path work, Path jar) {
    this.client = client;
    this.work = work;
    this.jar = jar;
  }

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    Path jar = Path.of(args[1]).toAbsolutePath();
    KubernetesClient client = new KubernetesClientBuilder().build();
    PodRunner runner = new PodRunner(client, work, jar);
    Runtime.getRuntime().addShutdownHook(new Thread(runner::stopAll, "pod-runner-stop"));
    log("pod runner against " + client.getMasterUrl() + ", work dir " + work);
    while (true) {
      try {
        runner.sync();
      } catch (KubernetesClientException e) {
        log("sync: " + e.getMessage());
      } catch (Exception e) {
        log("sync: " + e);
        e.printStackTrace();
      }
      Thread.sleep(500);
    }
  }

  private static void log(String message) {
    System.out.println(Instant.now() + " " + message);
    System.out.flush();
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  synchronized void sync() throws Exception {
    collectGarbage();
    List<StatefulSet> sets = client.apps().statefulSets().inAnyNamespace().list().getItems();
    Map<String, Pod> pods = new HashMap<>();
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      pods.put(key(pod.getMetadata().getNamespace(), pod.getMetadata().getName()), pod);
    }
    // A process whose pod is gone (deleted, or its StatefulSet scaled down) stops.
    for (var it = locals.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Pod pod = pods.get(entry.getKey());
      Local local = entry.getValue();
      if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
        log("pod " + entry.getKey() + " deleted: stopping its process");
        stop(local);
        it.remove();
        if (pod != null) {
          client.pods().inNamespace(local.namespace).withName(local.name).withGracePeriod(0).delete();
        }
      }
    }
    for (StatefulSet sts : sets) {
      try {
        syncStatefulSet(sts, pods);
      } catch (KubernetesClientException e) {
        log("sync " + sts.getMetadata().getName() + ": " + e.getMessage());
      }
    }
  }

  private void syncStatefulSet(StatefulSet sts, Map<String, Pod> pods) throws Exception {
    String ns = sts.getMetadata().getNamespace();
    String name = sts.getMetadata().getName();
    int replicas = sts.getSpec().getReplicas() != null ? sts.getSpec().getReplicas() : 1;
    String revision = name + "-" + templateHash(sts);
    // Pods beyond the replicas go, highest ordinal first.
    for (Pod pod : pods.values()) {
      if (!ns.equals(pod.getMetadata().getNamespace()) || !ownedBy(pod, sts)) {
        continue;
      }
      int ordinal = ordinal(name, pod.getMetadata().getName());
      if (ordinal >= replicas) {
        log("scale down " + name + ": deleting pod " + pod.getMetadata().getName());
        Local local = locals.remove(key(ns, pod.getMetadata().getName()));
        if (local != null) {
          stop(local);
        }
        client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
      }
    }
    // A rolling update replaces one pod at a time, and only while all the others are ready.
    // Under OnDelete the pods are replaced only when someone deletes them (the operator does),
    // and made again on the update revision.
    boolean onDelete = sts.getSpec().getUpdateStrategy() != null
        && "OnDelete".equals(sts.getSpec().getUpdateStrategy().getType());
    boolean allReady = !onDelete;
    for (int i = 0; i < replicas; i++) {
      Local local = locals.get(key(ns, name + "-" + i));
      allReady &= local != null && local.ready;
    }
    int ready = 0;
    int updated = 0;
    int existing = 0;
    for (int i = 0; i < replicas; i++) {
      String podName = name + "-" + i;
      String k = key(ns, podName);
      Pod pod = pods.get(k);
      Local local = locals.get(k);
      if (pod != null && local != null && !revision.equals(local.revision) && allReady) {
        log("rolling " + podName + " to " + revision);
        stop(local);
        locals.remove(k);
        client.pods().inNamespace(ns).withName(podName).withGracePeriod(0).delete();
        allReady = false;
        continue;
      }
      if (pod == null) {
        if (local != null) {
          continue; // stopping; made again on the next round
        }
        pod = client.pods().inNamespace(ns).resource(newPod(sts, podName, revision)).create();
        log("created pod " + k);
      }
      existing++;
      if (local == null) {
        local = start(pod, revision);
        if (local == null) {
          continue;
        }
        locals.put(k, local);
      }
      superviseAndReport(pod, local);
      if (local.ready) {
        ready++;
      }
      if (revision.equals(local.revision)) {
        updated++;
      }
    }
    // As the StatefulSet controller does: currentRevision moves only when a RollingUpdate is done.
    String current = !onDelete && updated == replicas ? revision
        : sts.getStatus() != null && sts.getStatus().getCurrentRevision() != null
            ? sts.getStatus().getCurrentRevision() : revision;
    StatefulSetStatus status = new StatefulSetStatusBuilder()
        .withObservedGeneration(sts.getMetadata().getGeneration())
        .withReplicas(existing)
        .withReadyReplicas(ready)
        .withAvailableReplicas(ready)
        .withCurrentReplicas(updated == replicas ? existing : existing - updated)
        .withUpdatedReplicas(updated)
        .withCurrentRevision(current)
        .withUpdateRevision(revision)
        .withCollisionCount(0)
        .build();
    if (!Objects.equals(status, sts.getStatus())) {
      client.apps().statefulSets().inNamespace(ns).withName(name).editStatus(s -> {
        s.setStatus(status);
        return s;
      });
    }
  }

  private static boolean ownedBy(HasMetadata object, HasMetadata owner) {
    return object.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> Objects.equals(o.getUid(), owner.getMetadata().getUid()));
  }

  private static int ordinal(String sts, String pod) {
    try {
      return Integer.parseInt(pod.substring(sts.length() + 1));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String templateHash(StatefulSet sts) throws Exception {
    byte[] json = io.fabric8.kubernetes.client.utils.Serialization.asJson(sts.getSpec().getTemplate())
        .getBytes(StandardCharsets.UTF_8);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 10);
  }

  private static Pod newPod(StatefulSet sts, String podName, String revision) {
    var template = sts.getSpec().getTemplate();
    Map<String, String> labels = new LinkedHashMap<>();
    if (template.getMetadata().getLabels() != null) {
      labels.putAll(template.getMetadata().getLabels());
    }
    labels.put("statefulset.kubernetes.io/pod-name", podName);
    labels.put("controller-revision-hash", revision);
    OwnerReference owner = new OwnerReferenceBuilder()
        .withApiVersion("apps/v1").withKind("StatefulSet")
        .withName(sts.getMetadata().getName()).withUid(sts.getMetadata().getUid())
        .withController(true).withBlockOwnerDeletion(true).build();
    return new PodBuilder()
        .withNewMetadata()
        .withName(podName)
        .withNamespace(sts.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(template.getMetadata().getAnnotations())
        .withOwnerReferences(owner)
        .endMetadata()
        .withSpec(template.getSpec())
        .editSpec()
        .withHostname(podName)
        .withSubdomain(sts.getSpec().getServiceName())
        .withNodeName("e2e-local")
        .endSpec()
        .build();
  }

  private Local start(Pod pod, String revision) throws IOException {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    int n = addresses.computeIfAbsent(key(ns, name), k -> nextAddress++);
    String ip = "127.0.0." + n;
    Path dir = work.resolve("pods").resolve(ns).resolve(name);
    Files.createDirectories(dir);
    Local local = new Local(ns, name, ip, dir);
    local.revision = revision;
    Container container = pod.getSpec().getContainers().get(0);
    try {
      launch(pod, container, local);
    } catch (MissingReference e) {
      log("pod " + key(ns, name) + " cannot start yet: " + e.getMessage());
      return null;
    }
    return local;
  }

  private static final class MissingReference extends Exception {
    MissingReference(String message) {
      super(message);
    }
  }

  private void launch(Pod pod, Container container, Local local) throws IOException, MissingReference {
    if (stopping) {
      throw new MissingReference("the pod runner is stopping");
    }
    String ns = local.namespace;
    // Volumes: ConfigMaps and Secrets written to files, emptyDirs as directories.
    Map<String, Path> volumeDirs = new HashMap<>();
    for (Volume volume : pod.getSpec().getVolumes()) {
      Path dir = local.dir.resolve("volumes").resolve(volume.getName());
      Files.createDirectories(dir);
      Map<String, byte[]> files = new LinkedHashMap<>();
      List<KeyToPath> items = List.of();
      if (volume.getConfigMap() != null) {
        ConfigMap cm = client.configMaps().inNamespace(ns).withName(volume.getConfigMap().getName()).get();
        if (cm == null) {
          throw new MissingReference("ConfigMap " + volume.getConfigMap().getName() + " not found");
        }
        if (cm.getData() != null) {
          cm.getData().forEach((k, v) -> files.put(k, v.getBytes(StandardCharsets.UTF_8)));
        }
        items = volume.getConfigMap().getItems();
      } else if (volume.getSecret() != null) {
        Secret secret = client.secrets().inNamespace(ns).withName(volume.getSecret().getSecretName()).get();
        if (secret == null) {
          throw new MissingReference("Secret " + volume.getSecret().getSecretName() + " not found");
        }
        if (secret.getData() != null) {
          secret.getData().forEach((k, v) -> files.put(k, Base64.getDecoder().decode(v)));
        }
        items = volume.getSecret().getItems();
      }
      if (items != null && !items.isEmpty()) {
        for (KeyToPath item : items) {
          if (files.containsKey(item.getKey())) {
            write(dir.resolve(item.getPath()), files.get(item.getKey()));
          }
        }
      } else {
        for (var file : files.entrySet()) {
          write(dir.resolve(file.getKey()), file.getValue());
        }
      }
      volumeDirs.put(volume.getName(), dir);
    }
    Map<String, Path> mounts = new LinkedHashMap<>();
    for (VolumeMount mount : container.getVolumeMounts()) {
      Path dir = volumeDirs.get(mount.getName());
      if (dir != null) {
        mounts.put(mount.getMountPath(), dir);
      }
    }
    // Files that name mount paths (a config naming TLS files) name the local copies instead.
    for (Path dir : volumeDirs.values()) {
      try (var files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String text = Files.readString(f, StandardCharsets.ISO_8859_1);
          String rewritten = rewritePaths(text, mounts);
          if (!rewritten.equals(text)) {
            Files.writeString(f, rewritten, StandardCharsets.ISO_8859_1);
          }
        }
      }
    }

    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar var : container.getEnv()) {
      env.put(var.getName(), envValue(pod, local, var, env));
    }
    int rpcPort = port(container, "rpc", 3002);
    int httpPort = port(container, "http", 4000);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getenv().getOrDefault("E2E_POD_JAVA_OPTS",
        "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto");
    for (String o : opts.trim().split("\\s+")) {
      if (!o.isEmpty()) {
        command.add(o);
      }
    }
    command.add("-jar");
    command.add(jar.toString());
    List<String> args = new ArrayList<>();
    for (String a : container.getArgs()) {
      args.add(rewritePaths(expand(a, env), mounts));
    }
    // This node's address in place of the pod DNS name, and the binds on it.
    for (int i = 0; i < args.size() - 1; i++) {
      if (args.get(i).equals("--server-addr") || args.get(i).equals("--rpc-server-addr")) {
        args.set(i + 1, local.ip + ":" + rpcPort);
      }
    }
    args.addAll(List.of(
        "--bind-addr", local.ip + ":" + rpcPort,
        "--http-addr", local.ip + ":" + httpPort,
        "--data-home", local.dir.resolve("data").toString()));
    command.addAll(args);

    ProcessBuilder builder = new ProcessBuilder(command).directory(local.dir.toFile());
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(local.dir.resolve("log").toFile()));
    Files.writeString(local.dir.resolve("command"), String.join(" ", args) + "\n");
    local.process = builder.start();
    local.startedAt = Instant.now();
    local.ready = false;
    local.livenessCheckedAt = null;
    local.livenessFailures = 0;
    Files.writeString(local.dir.resolve("pid"), Long.toString(local.process.pid()));
    Files.writeString(local.dir.resolve("ip"), local.ip);
    log("started pod " + key(ns, local.name) + " on " + local.ip + " pid " + local.process.pid()
        + " (restarts " + local.restarts + ")");
  }

  private static void write(Path file, byte[] content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, content);
  }

  private static String rewritePaths(String text, Map<String, Path> mounts) {
    String out = text;
    for (var mount : mounts.entrySet()) {
      out = out.replace(mount.getKey(), mount.getValue().toString());
    }
    return out;
  }

  private static String expand(String value, Map<String, String> env) {
    Matcher m = VAR.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }

  private String envValue(Pod pod, Local local, EnvVar var, Map<String, String> env)
      throws MissingReference {
    if (var.getValueFrom() == null) {
      return expand(Objects.requireNonNullElse(var.getValue(), ""), env);
    }
    var from = var.getValueFrom();
    if (from.getFieldRef() != null) {
      return switch (from.getFieldRef().getFieldPath()) {
        case "metadata.name" -> pod.getMetadata().getName();
        case "metadata.namespace" -> pod.getMetadata().getNamespace();
        case "metadata.uid" -> Objects.toString(pod.getMetadata().getUid(), "");
        case "status.podIP", "status.hostIP" -> local.ip;
        case "spec.nodeName" -> "e2e-local";
        case "spec.serviceAccountName" -> Objects.toString(pod.getSpec().getServiceAccountName(), "");
        default -> "";
      };
    }
    String ns = pod.getMetadata().getNamespace();
    if (from.getSecretKeyRef() != null) {
      Secret secret = client.secrets().inNamespace(ns).withName(from.getSecretKeyRef().getName()).get();
      String key = from.getSecretKeyRef().getKey();
      if (secret == null || secret.getData() == null || !secret.getData().containsKey(key)) {
        if (Boolean.TRUE.equals(from.getSecretKeyRef().getOptional())) {
          return "";
        }
        throw new MissingReference("Secret " + from.getSecretKeyRef().getName() + " key " + key);
      }
      return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
    if (from.getConfigMapKeyRef() != null) {
      ConfigMap cm = client.configMaps().inNamespace(ns).withName(from.getConfigMapKeyRef().getName()).get();
      String key = from.getConfigMapKeyRef().getKey();
      if (cm == null || cm.getData() == null || !cm.getData().containsKey(key)) {
        throw new MissingReference("ConfigMap " + from.getConfigMapKeyRef().getName() + " key " + key);
      }
      return cm.getData().get(key);
    }
    return "";
  }

  private static int port(Container container, String name, int fallback) {
    for (ContainerPort p : container.getPorts()) {
      if (name.equals(p.getName())) {
        return p.getContainerPort();
      }
    }
    return fallback;
  }

  /** Restarts a dead process, probes readiness, and writes the pod's status when it changed. */
  private void superviseAndReport(Pod pod, Local local) throws Exception {
    Container container = pod.getSpec().getContainers().get(0);
    if (local.process != null && !local.process.isAlive()) {
      local.lastExit = local.process.exitValue();
      local.diedAt = Instant.now();
      local.process = null;
      local.ready = false;
      local.restarts++;
      log("pod " + key(local.namespace, local.name) + " process exited " + local.lastExit);
    }
    if (local.process == null && local.diedAt != null && !stopping
        && Instant.now().isAfter(local.diedAt.plus(RESTART_DELAY))) {
      try {
        launch(pod, container, local);
      } catch (MissingReference e) {
        log("pod " + key(local.namespace, local.name) + " cannot restart yet: " + e.getMessage());
      }
    }
    if (local.process != null) {
      local.ready = probe(container, container.getReadinessProbe(), local);
      checkLiveness(container, local);
    }
    PodStatus status = podStatus(pod, container, local);
    if (!sameStatus(pod.getStatus(), status)) {
      client.pods().inNamespace(local.namespace).withName(local.name).editStatus(p -> {
        p.setStatus(status);
        return p;
      });
    }
  }

  /**
   * The liveness probe, with its timings as the kubelet keeps them: after {@code
   * initialDelaySeconds}, every {@code periodSeconds}; {@code failureThreshold} failures in a row
   * kill the process, which is then restarted as one that died.
   */
  private void checkLiveness(Container container, Local local) {
    Probe probe = container.getLivenessProbe();
    if (probe == null || probe.getHttpGet() == null) {
      return;
    }
    Instant now = Instant.now();
    Instant due = local.livenessCheckedAt != null
        ? local.livenessCheckedAt.plusSeconds(orDefault(probe.getPeriodSeconds(), 10))
        : local.startedAt.plusSeconds(orDefault(probe.getInitialDelaySeconds(), 0));
    if (now.isBefore(due)) {
      return;
    }
    local.livenessCheckedAt = now;
    if (probe(container, probe, local)) {
      local.livenessFailures = 0;
      return;
    }
    local.livenessFailures++;
    log("pod " + key(local.namespace, local.name) + " liveness probe failed ("
        + local.livenessFailures + "/" + orDefault(probe.getFailureThreshold(), 3) + ")");
    if (local.livenessFailures >= orDefault(probe.getFailureThreshold(), 3)) {
      log("pod " + key(local.namespace, local.name) + " failed liveness: killing its process");
      local.process.destroyForcibly();
      try {
        local.process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static int orDefault(Integer value, int fallback) {
    return value != null ? value : fallback;
  }

  private boolean probe(Container container, Probe probe, Local local) {
    String path = "/health";
    int port = port(container, "http", 4000);
    if (probe != null && probe.getHttpGet() != null) {
      path = probe.getHttpGet().getPath();
      var p = probe.getHttpGet().getPort();
      port = p.getIntVal() != null ? p.getIntVal() : port(container, p.getStrVal(), port);
    }
    try {
      HttpResponse<Void> response = http.send(
          HttpRequest.newBuilder(URI.create("http://" + local.ip + ":" + port + path))
              .timeout(Duration.ofSeconds(
                  probe != null ? orDefault(probe.getTimeoutSeconds(), 1) : 1)).build(),
          HttpResponse.BodyHandlers.discarding());
      return response.statusCode() >= 200 && response.statusCode() < 400;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static PodStatus podStatus(Pod pod, Container container, Local local) {
    String ready = local.ready ? "True" : "False";
    String since = local.startedAt.toString();
    List<PodCondition> conditions = List.of(
        condition("PodScheduled", "True", since),
        condition("Initialized", "True", since),
        condition("ContainersReady", ready, since),
        condition("Ready", ready, since));
    ContainerStatusBuilder cs = new ContainerStatusBuilder()
        .withName(container.getName())
        .withImage(container.getImage())
        .withImageID("e2e-local")
        .withReady(local.ready)
        .withStarted(local.process != null)
        .withRestartCount(local.restarts);
    if (local.process != null) {
      cs.withNewState().withNewRunning().withStartedAt(since).endRunning().endState();
    } else {
      cs.withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState();
    }
    if (local.lastExit != null) {
      cs.withNewLastState().withNewTerminated().withExitCode(local.lastExit)
          .withReason(local.lastExit == 0 ? "Completed" : "Error")
          .withFinishedAt(local.diedAt.toString()).endTerminated().endLastState();
    }
    ContainerStatus containerStatus = cs.build();
    return new PodStatusBuilder()
        .withPhase("Running")
        .withHostIP("127.0.0.1")
        .withPodIP(local.ip)
        .addNewPodIP(local.ip)
        .withStartTime(since)
        .withConditions(conditions)
        .withContainerStatuses(containerStatus)
        .build();
  }

  private static PodCondition condition(String type, String status, String since) {
    return new PodConditionBuilder().withType(type).withStatus(status)
        .withLastTransitionTime(since).build();
  }

  private static boolean sameStatus(PodStatus a, PodStatus b) {
    return a != null && Objects.equals(a.getPodIP(), b.getPodIP())
        && Objects.equals(a.getConditions(), b.getConditions())
        && Objects.equals(a.getContainerStatuses(), b.getContainerStatuses());
  }

  /** Deletes objects of the operator's kinds whose controlling owner is gone. */
  private void collectGarbage() {
    Map<String, Boolean> owners = new HashMap<>();
    for (String kind : GC_KINDS) {
      String[] parts = kind.split(":");
      List<GenericKubernetesResource> items;
      try {
        items = client.genericKubernetesResources(parts[0], parts[1]).inAnyNamespace().list().getItems();
      } catch (KubernetesClientException e) {
        continue;
      }
      for (GenericKubernetesResource item : items) {
        for (OwnerReference ref : item.getMetadata().getOwnerReferences()) {
          String ns = item.getMetadata().getNamespace();
          String ownerKey = ref.getApiVersion() + ":" + ref.getKind() + ":" + ns + "/" + ref.getName() + ":" + ref.getUid();
          boolean exists = owners.computeIfAbsent(ownerKey, k -> {
            try {
              GenericKubernetesResource owner = client.genericKubernetesResources(ref.getApiVersion(), ref.getKind())
                  .inNamespace(ns).withName(ref.getName()).get();
              return owner != null && Objects.equals(owner.getMetadata().getUid(), ref.getUid());
            } catch (KubernetesClientException e) {
              return true; // unknown kind: keep
            }
          });
          if (!exists) {
            log("garbage collector: deleting " + parts[1] + " " + ns + "/" + item.getMetadata().getName()
                + " (owner " + ref.getKind() + " " + ref.getName() + " is gone)");
            client.genericKubernetesResources(parts[0], parts[1]).inNamespace(ns)
                .withName(item.getMetadata().getName()).delete();
            break;
          }
        }
      }
    }
  }

  private static void stop(Local local) {
    Process p = local.process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    local.process = null;
    new File(local.dir.toFile(), "pid").delete();
  }

  void stopAll() {
    stopping = true;
    synchronized (this) {
      stopAllLocked();
    }
  }

  private void stopAllLocked() {
    List<Process> processes = new ArrayList<>();
    for (Local local : locals.values()) {
      if (local.process != null) {
        local.process.destroy();
        processes.add(local.process);
      }
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
    log("pod runner stopped " + processes.size() + " process(es)");
  }
}
