package io.metasrv.operator.status;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on the operator's custom resources, so that {@code kubectl describe} tells what
 * the operator did. Best effort: an event that cannot be written is logged, never fails a
 * reconciliation.
 */
public final class ClusterEvents {
  public static final String COMPONENT = "metasrv-operator";
  private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);

  private ClusterEvents() {}

  public static void normal(
      KubernetesClient client, HasMetadata about, String reason, String message) {
    record(client, about, "Normal", reason, message);
  }

  public static void warning(
      KubernetesClient client, HasMetadata about, String reason, String message) {
    record(client, about, "Warning", reason, message);
  }

  private static void record(
      KubernetesClient client, HasMetadata about, String type, String reason, String message) {
    log.info(
        "{} {}/{}: {} {}",
        about.getKind(),
        about.getMetadata().getNamespace(),
        about.getMetadata().getName(),
        reason,
        message);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withGenerateName(about.getMetadata().getName() + ".")
            .withNamespace(about.getMetadata().getNamespace())
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(about.getApiVersion())
                    .withKind(about.getKind())
                    .withName(about.getMetadata().getName())
                    .withNamespace(about.getMetadata().getNamespace())
                    .withUid(about.getMetadata().getUid())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .build();
    try {
      client.v1().events().inNamespace(about.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      log.warn("cannot record event {} on {}: {}", reason, about.getMetadata().getName(), e.getMessage());
    }
  }
}
