package io.metasrv.election.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The Lease calls the election makes, in one namespace. Updates are full replacements (PUT)
 * carrying the {@code resourceVersion} they were based on, so the API server refuses one that
 * raced with another writer (409), and an absent field (a released holder) is really cleared,
 * which a JSON merge patch omitting it would not do.
 */
final class LeaseCalls {
  private final KubernetesClient client;
  private final String namespace;
  private final Clock wallClock;

  LeaseCalls(KubernetesClient client, String namespace, Clock wallClock) {
    this.client = client;
    this.namespace = namespace;
    this.wallClock = wallClock;
  }

  String namespace() {
    return namespace;
  }

  /** The Lease, or null when there is none. */
  Lease get(String name) {
    return client.leases().inNamespace(namespace).withName(name).get();
  }

  /** Creates the Lease; a 409 means it exists already. */
  Lease create(Lease lease) {
    return client.leases().inNamespace(namespace).resource(lease).create();
  }

  /** Replaces the Lease if it is still at the lease's {@code resourceVersion}, else a 409. */
  Lease update(Lease lease) {
    if (lease.getMetadata().getResourceVersion() == null) {
      // fabric8 would fetch the latest version and overwrite whatever it holds
      throw new IllegalArgumentException("an update must name the version it replaces");
    }
    return client.leases().inNamespace(namespace).resource(lease).update();
  }

  List<Lease> listLabelled(String label, String value) {
    return client.leases().inNamespace(namespace).withLabel(label, value).list().getItems();
  }

  void delete(String name) {
    client.leases().inNamespace(namespace).withName(name).delete();
  }

  /**
   * Deletes the Lease if it is still at {@code resourceVersion} (a delete precondition, so a
   * write that lands meanwhile keeps it); false when it changed or is gone already.
   */
  boolean deleteIfUnchanged(String name, String resourceVersion) {
    try {
      return !client.leases().inNamespace(namespace).withName(name)
          .lockResourceVersion(resourceVersion).delete().isEmpty();
    } catch (KubernetesClientException e) {
      if (isConflict(e) || isNotFound(e)) {
        return false;
      }
      throw e;
    }
  }

  /** Opens a watch of the Lease {@code name}; fabric8 reconnects it when its connection drops. */
  Watch watch(String name, Watcher<Lease> watcher) {
    return client.leases().inNamespace(namespace).withName(name).watch(watcher);
  }

  /**
   * Now on the wall clock, as a Lease's MicroTime: the API server accepts exactly six fractional
   * digits, which fabric8's model writes for a UTC time truncated to microseconds.
   */
  ZonedDateTime microTimeNow() {
    return ZonedDateTime.now(wallClock).withZoneSameInstant(ZoneOffset.UTC)
        .truncatedTo(ChronoUnit.MICROS);
  }

  static boolean isConflict(KubernetesClientException e) {
    return e.getCode() == HttpURLConnection.HTTP_CONFLICT;
  }

  static boolean isNotFound(KubernetesClientException e) {
    return e.getCode() == HttpURLConnection.HTTP_NOT_FOUND;
  }

  /** One line for a log: the HTTP status when there was one, and the innermost cause. */
  static String describe(KubernetesClientException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String reason = root == e ? e.getMessage() : root.getClass().getSimpleName()
        + (root.getMessage() == null ? "" : ": " + root.getMessage());
    return e.getCode() > 0 ? "HTTP " + e.getCode() + " " + firstLine(e.getMessage())
        : firstLine(reason);
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
