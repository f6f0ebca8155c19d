package io.metasrv.operator;

import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs.
 *
 * @param namespaces namespaces to watch; empty means all
 * @param serverSideApply patch the custom resources' status and apply the owned objects with
 *     server-side apply, and match owned objects by their managed fields; off for API servers
 *     without it (fabric8's mock server), where objects are updated and matched whole. The
 *     ConfigMap is updated whole either way: JOSDK leaves ConfigMaps and Secrets out of SSA by
 *     default (ServerSideApplyConfigurationTest holds which objects use it)
 * @param observeInterval how often each cluster's pods are asked who leads: leadership changes
 *     without any Kubernetes event
 */
public record OperatorSettings(
    Set<String> namespaces, boolean serverSideApply, Duration observeInterval) {
  public OperatorSettings {
    namespaces = Set.copyOf(namespaces);
  }
}
