package io.metasrv.election.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.metasrv.config.ElectionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The shipped Role grants what the election does with Leases, by name where RBAC allows. */
class RbacManifestTest {
  private static final Path MANIFEST = Path.of("manifests/rbac/metasrv-election-role.yaml");

  private static List<HasMetadata> objects() throws IOException {
    return Arrays.stream(Files.readString(MANIFEST).split("(?m)^---$"))
        .filter(document -> document.contains("kind:"))
        .map(document -> (HasMetadata) Serialization.unmarshal(document))
        .toList();
  }

  @Test
  void everythingIsNamespacedAndOnlyAboutLeases() throws IOException {
    List<HasMetadata> objects = objects();
    assertThat(objects).extracting(HasMetadata::getKind)
        .containsExactly("ServiceAccount", "Role", "RoleBinding");
    assertThat(objects).allSatisfy(object ->
        assertThat(object.getMetadata().getNamespace()).isEqualTo("greptimedb"));
    Role role = (Role) objects.get(1);
    assertThat(role.getRules()).allSatisfy(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
      assertThat(rule.getResources()).containsExactly("leases");
    });
    RoleBinding binding = (RoleBinding) objects.get(2);
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects()).singleElement()
        .satisfies(subject -> assertThat(subject.getName()).isEqualTo("metasrv"));
  }

  @Test
  void namedRulesMatchTheElectionLeaseAndTheCandidateNames() throws IOException {
    List<PolicyRule> rules = ((Role) objects().get(1)).getRules();
    String leaseName = ElectionOptions.defaults().leaseName();

    assertThat(rules).hasSize(4);
    assertThat(rules.get(0).getResourceNames()).isEmpty();
    assertThat(rules.get(0).getVerbs()).containsExactly("create", "list", "watch");
    assertThat(rules.get(1).getResourceNames()).containsExactly(leaseName);
    assertThat(rules.get(1).getVerbs()).containsExactly("get", "update", "watch");
    assertThat(rules.get(2).getResourceNames()).containsExactlyElementsOf(IntStream.range(0, 3)
        .mapToObj(i -> CandidateLeases.nameOf(leaseName,
            "metasrv-" + i + ".metasrv.greptimedb.svc:3002"))
        .toList());
    assertThat(rules.get(2).getVerbs()).containsExactly("get", "update", "delete");
    // the leader deletes the candidate Leases of gone nodes, whatever their names
    assertThat(rules.get(3).getResourceNames()).isEmpty();
    assertThat(rules.get(3).getVerbs()).containsExactly("delete");
  }
}
