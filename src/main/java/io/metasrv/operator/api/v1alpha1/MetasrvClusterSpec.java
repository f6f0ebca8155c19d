package io.metasrv.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.List;
import java.util.Map;

/**
 * The desired metasrv cluster. Defaults are declared in the schema, where the API server applies
 * them; the operator never writes them back (a GitOps tool would fight it), and reads an absent
 * field as its default, since not every API server it meets applies schema defaults.
 *
 * <p>A memory backend is one replica that leads alone: each replica would keep its own metadata,
 * and a Lease cannot make several stores one. The rules say so with the field to change, since the
 * schema default of replicas is 3.
 */
@ValidationRule(
    value = MetasrvClusterSpec.MEMORY_ONE_REPLICA,
    message = "spec.replicas must be 1 with backend memory (each replica would keep its own"
        + " metadata); the default is 3")
@ValidationRule(
    value = MetasrvClusterSpec.MEMORY_NO_LEASE,
    message = "spec.election kubernetes-lease does not apply to backend memory: its single replica"
        + " leads alone; leave election out or set it to backend")
public class MetasrvClusterSpec {
  static final String MEMORY_ONE_REPLICA =
      "!has(self.backend) || !has(self.backend.memory)"
          + " || (has(self.replicas) && self.replicas == 1)";
  static final String MEMORY_NO_LEASE =
      "!has(self.backend) || !has(self.backend.memory)"
          + " || !has(self.election) || self.election != 'kubernetes-lease'";

  public static final int DEFAULT_REPLICAS = 3;
  public static final int DEFAULT_RPC_PORT = 3002;
  public static final int DEFAULT_HTTP_PORT = 4000;

  @SpecReplicas
  @Min(1)
  @Default("3")
  @JsonPropertyDescription("Number of metasrv pods; one of them is elected leader.")
  public Integer replicas;

  @Required
  @Pattern("^\\S+$")
  @JsonPropertyDescription("Container image that runs `metasrv start`.")
  public String image;

  @Required
  @JsonPropertyDescription("The store that holds the cluster metadata.")
  public Backend backend;

  @Default("backend")
  @JsonPropertyDescription(
      "How the replicas elect a leader: through the backend itself (etcd lease, PostgreSQL"
          + " advisory lock, MySQL GET_LOCK), or with a coordination.k8s.io Lease.")
  public ElectionKind election;

  @Default("{}")
  @JsonPropertyDescription("Container ports.")
  public Ports ports;

  @JsonPropertyDescription(
      "Further metasrv options, validated as `metasrv config --check` does; keys the operator"
          + " sets from other fields (addresses, backend, region failover) are refused.")
  public Options options;

  @JsonPropertyDescription("Compute resources of the metasrv container.")
  public ResourceRequirements resources;

  @JsonPropertyDescription("Additions to the pods' template.")
  public PodTemplateOverlay podTemplate;

  @JsonPropertyDescription("TLS material, mounted read-only at /etc/metasrv/tls.")
  public Tls tls;

  @JsonPropertyDescription("Migrate regions away from failed datanodes.")
  public Boolean enableRegionFailover;

  /** Where metadata is stored; exactly one of etcd, postgres, mysql and memory. */
  @ValidationRule(
      value =
          "[has(self.etcd), has(self.postgres), has(self.mysql), has(self.memory)]"
              + ".filter(x, x).size() == 1",
      message = "exactly one of etcd, postgres, mysql and memory must be set")
  public static class Backend {
    @JsonPropertyDescription("etcd cluster.")
    public Etcd etcd;

    @JsonPropertyDescription("PostgreSQL database.")
    public Sql postgres;

    @JsonPropertyDescription("MySQL database.")
    public Sql mysql;

    @JsonPropertyDescription(
        "In the memory of a single replica (replicas: 1), lost whenever the pod restarts: for"
            + " development and tests. Written as an empty object: memory: {}.")
    public Memory memory;

    @JsonPropertyDescription("Prefix of every key this cluster stores, so clusters can share a store.")
    public String keyPrefix;
  }

  /**
   * Metadata in the pod's memory; nothing to configure. The annotation gives Jackson something to
   * serialize an empty object with.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Memory {}

  /** An etcd cluster. */
  public static class Etcd {
    @Required
    @Size(min = 1)
    @JsonPropertyDescription("Client endpoints, host:port.")
    public List<@Pattern("^[^,\\s]+$") String> endpoints;
  }

  /** A PostgreSQL or MySQL database; credentials come from a Secret, never from the spec. */
  public static class Sql {
    @Required
    @JsonPropertyDescription("Server host name.")
    public String host;

    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("Server port; 5432 for PostgreSQL and 3306 for MySQL when absent.")
    public Integer port;

    @Required
    @JsonPropertyDescription("Database name.")
    public String database;

    @JsonPropertyDescription("Table holding the metadata (meta_table_name).")
    public String table;

    @Required
    @JsonPropertyDescription("Secret, in this namespace, holding the user name and password.")
    public CredentialsSecret credentialsSecret;
  }

  /** Where the store's user name and password are. */
  public static class CredentialsSecret {
    @Required
    @JsonPropertyDescription("Secret name.")
    public String name;

    @Default("username")
    @JsonPropertyDescription("Key of the user name.")
    public String usernameKey;

    @Default("password")
    @JsonPropertyDescription("Key of the password.")
    public String passwordKey;
  }

  /** How replicas elect their leader. */
  public enum ElectionKind {
    @JsonProperty("backend")
    BACKEND,
    @JsonProperty("kubernetes-lease")
    KUBERNETES_LEASE
  }

  /** Container ports. */
  public static class Ports {
    @Min(1)
    @Max(65535)
    @Default("3002")
    @JsonPropertyDescription("gRPC port (bind_addr and server_addr).")
    public Integer rpc;

    @Min(1)
    @Max(65535)
    @Default("4000")
    @JsonPropertyDescription("Admin HTTP port (http.addr): /health, /admin, /metrics.")
    public Integer http;
  }

  /** Options on top of metasrv's defaults: a TOML document, then single keys over it. */
  public static class Options {
    @JsonPropertyDescription("A metasrv TOML configuration document.")
    public String toml;

    @JsonPropertyDescription(
        "Single options by dotted key (procedure.max_retry_times), written as in the"
            + " GREPTIMEDB_METASRV__ environment variables; these win over toml.")
    public Map<String, String> overrides;
  }

  /** What is added to the pods' template. */
  public static class PodTemplateOverlay {
    @JsonPropertyDescription("Extra pod labels; the operator's own labels win on a clash.")
    public Map<String, String> labels;

    @JsonPropertyDescription("Extra pod annotations; the operator's own annotations win on a clash.")
    public Map<String, String> annotations;

    public Map<String, String> nodeSelector;

    public List<Toleration> tolerations;

    public Affinity affinity;

    @JsonPropertyDescription("Pod security context.")
    public PodSecurityContext securityContext;

    @JsonPropertyDescription("Security context of the metasrv container.")
    public SecurityContext containerSecurityContext;
  }

  /** A Secret of type kubernetes.io/tls. */
  public static class Tls {
    @Required
    @JsonPropertyDescription("Secret name, in this namespace.")
    public String secretName;
  }
}
