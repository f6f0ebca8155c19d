package io.metasrv.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.metasrv.operator.api.v1alpha1.MaintenanceMode;
import io.metasrv.operator.api.v1alpha1.MetasrvCluster;
import io.metasrv.operator.cluster.MetasrvClusterReconciler;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The operator's RBAC grants what its code uses, and no kind it does not: the owned kinds are
 * taken from the cluster workflow's dependents, so a new dependent without a grant fails here.
 */
class RbacManifestTest {
  private static final List<String> OWN = List.of("get", "list", "watch", "create", "update", "patch", "delete");

  /**
   * The verbs of the Role the operator writes for pods that elect by Lease, all its rules together
   * (MetasrvClusterReconcilerTest holds the rules): what the election's LeaseCalls use.
   */
  static final List<String> ELECTION_ROLE_VERBS =
      List.of("get", "list", "watch", "create", "update", "delete");

  /**
   * The operator's own leader election: JOSDK checks for get, create and update before it starts
   * (a SelfSubjectRulesReview), and fabric8's LeaseLock renews with a JSON merge patch.
   */
  static final List<String> OWN_ELECTION_VERBS = List.of("get", "create", "update", "patch");

  @Test
  void clusterRoleGrantsExactlyWhatTheOperatorUses() throws Exception {
    List<HasMetadata> objects = load(Path.of("manifests/operator/rbac.yaml"));
    ClusterRole role = only(objects, ClusterRole.class);
    ClusterRoleBinding binding = only(objects, ClusterRoleBinding.class);
    ServiceAccount account = only(objects, ServiceAccount.class);
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getName()).isEqualTo(account.getMetadata().getName());
      assertThat(s.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
    });

    List<Grant> needed = new ArrayList<>();
    for (Dependent dependent : MetasrvClusterReconciler.class.getAnnotation(Workflow.class).dependents()) {
      var resource = (KubernetesDependentResource<?, ?>) dependent.type().getDeclaredConstructor().newInstance();
      needed.add(Grant.of(resource.resourceType(), "", OWN));
    }
    // MetasrvCluster is watched and only its status written: its reconciler is no Cleaner and
    // its dependents are garbage collected, so JOSDK puts no finalizer on it.
    needed.add(Grant.of(MetasrvCluster.class, "", List.of("get", "list", "watch")));
    // MaintenanceMode's reconciler is a Cleaner: JOSDK adds and removes its finalizer.
    needed.add(Grant.of(MaintenanceMode.class, "", List.of("get", "list", "watch", "patch", "update")));
    for (Class<? extends HasMetadata> primary : List.of(MetasrvCluster.class, MaintenanceMode.class)) {
      needed.add(Grant.of(primary, "/status", List.of("get", "patch", "update")));
    }
    // The dependents' owner references block the cluster's deletion; nothing is owned by a
    // MaintenanceMode.
    needed.add(Grant.of(MetasrvCluster.class, "/finalizers", List.of("update")));
    // Pods are read, and deleted one at a time to roll them in the operator's order.
    needed.add(Grant.of(Pod.class, "", List.of("get", "list", "watch", "delete")));
    needed.add(Grant.of(Secret.class, "", List.of("list", "watch")));
    // ClusterEvents creates each event; nothing patches one.
    needed.add(new Grant("", "events", List.of("create")));
    // A Role can only be written by someone who holds what it grants.
    Set<String> leaseVerbs = new LinkedHashSet<>(OWN_ELECTION_VERBS);
    leaseVerbs.addAll(ELECTION_ROLE_VERBS);
    needed.add(Grant.of(Lease.class, "", List.copyOf(leaseVerbs)));

    Map<String, Set<String>> neededVerbs = new LinkedHashMap<>();
    needed.forEach(g -> neededVerbs.computeIfAbsent(g.group() + "/" + g.resource(),
        k -> new LinkedHashSet<>()).addAll(g.verbs()));
    Map<String, Set<String>> grantedVerbs = new LinkedHashMap<>();
    for (PolicyRule rule : role.getRules()) {
      assertThat(rule.getVerbs()).doesNotContain("*", "escalate", "bind", "impersonate");
      assertThat(rule.getResourceNames()).isNullOrEmpty();
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          grantedVerbs.computeIfAbsent(group + "/" + resource, k -> new LinkedHashSet<>())
              .addAll(rule.getVerbs());
        }
      }
    }
    assertThat(grantedVerbs.keySet()).as("kinds granted")
        .containsExactlyInAnyOrderElementsOf(neededVerbs.keySet());
    for (Map.Entry<String, Set<String>> kind : neededVerbs.entrySet()) {
      assertThat(grantedVerbs.get(kind.getKey())).as("verbs on %s", kind.getKey())
          .containsExactlyInAnyOrderElementsOf(kind.getValue());
    }
  }

  private static List<HasMetadata> load(Path file) throws Exception {
    try (InputStream yaml = Files.newInputStream(file)) {
      Object parsed = Serialization.unmarshal(yaml);
      return parsed instanceof KubernetesList list ? list.getItems() : castList(parsed);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<HasMetadata> castList(Object parsed) {
    return parsed instanceof List<?> list ? (List<HasMetadata>) list : List.of((HasMetadata) parsed);
  }

  private static <T> T only(List<HasMetadata> objects, Class<T> type) {
    List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as(type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  private record Grant(String group, String resource, List<String> verbs) {
    static Grant of(Class<? extends HasMetadata> type, String subresource, List<String> verbs) {
      return new Grant(HasMetadata.getGroup(type), HasMetadata.getPlural(type) + subresource, verbs);
    }
  }
}
