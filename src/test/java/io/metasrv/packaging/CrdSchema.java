package io.metasrv.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A CRD version's openAPIV3Schema as a JSON schema (draft 4, which OpenAPI v3 schemas follow),
 * held to what the API server does with an object:
 *
 * <ul>
 *   <li>Kubernetes' own keywords ({@code x-kubernetes-*}) are removed; the CEL rules among them
 *       are kept aside, since no JSON schema validator evaluates CEL.
 *   <li>Every object schema with properties refuses other fields. The API server prunes unknown
 *       fields (or refuses them, with kubectl's strict field validation); a sample carrying one
 *       would lose it on apply and differ from its live object forever after, which a GitOps tool
 *       reports as drift.
 *   <li>apiVersion, kind and metadata are allowed at the top, as the API server adds them.
 * </ul>
 */
final class CrdSchema {
  /** A CEL rule and the JSON pointer of the value it is evaluated on ("self"). */
  record CelRule(String pointer, String rule) {}

  private final JsonSchema schema;
  private final List<CelRule> celRules = new ArrayList<>();

  private CrdSchema(JsonNode openApiV3Schema) {
    ObjectNode strict = openApiV3Schema.deepCopy();
    prepare(strict, "");
    ObjectNode properties = (ObjectNode) strict.get("properties");
    properties.set("apiVersion", Manifests.YAML.createObjectNode().put("type", "string"));
    properties.set("kind", Manifests.YAML.createObjectNode().put("type", "string"));
    properties.set("metadata", Manifests.YAML.createObjectNode().put("type", "object"));
    schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(strict);
  }

  /** The schema of every served version of every CRD, by "kind/version". */
  static Map<String, CrdSchema> of(List<JsonNode> crds) {
    Map<String, CrdSchema> schemas = new LinkedHashMap<>();
    for (JsonNode crd : crds) {
      String kind = crd.at("/spec/names/kind").asText();
      for (JsonNode version : crd.at("/spec/versions")) {
        schemas.put(kind + "/" + version.path("name").asText(),
            new CrdSchema(version.at("/schema/openAPIV3Schema")));
      }
    }
    return schemas;
  }

  /** The schema for an object, by its kind and the version in its apiVersion. */
  static CrdSchema forObject(Map<String, CrdSchema> schemas, JsonNode object) {
    String apiVersion = object.path("apiVersion").asText();
    String key = Manifests.kind(object) + "/" + apiVersion.substring(apiVersion.indexOf('/') + 1);
    CrdSchema schema = schemas.get(key);
    if (schema == null) {
      throw new AssertionError("no CRD serves " + key + " (" + Manifests.id(object) + ")");
    }
    return schema;
  }

  /** The schema violations, as messages naming the path; empty when valid. */
  Set<String> violations(JsonNode object) {
    Set<ValidationMessage> messages = schema.validate(object);
    return messages.stream().map(ValidationMessage::getMessage).collect(Collectors.toSet());
  }

  List<CelRule> celRules() {
    return List.copyOf(celRules);
  }

  private void prepare(ObjectNode node, String pointer) {
    boolean preservesUnknown = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    for (JsonNode validation : node.path("x-kubernetes-validations")) {
      celRules.add(new CelRule(pointer, validation.path("rule").asText()));
    }
    List<String> kubernetesKeywords = new ArrayList<>();
    node.fieldNames().forEachRemaining(name -> {
      if (name.startsWith("x-kubernetes-")) {
        kubernetesKeywords.add(name);
      }
    });
    node.remove(kubernetesKeywords);
    if (node.has("properties") && !node.has("additionalProperties") && !preservesUnknown) {
      node.put("additionalProperties", false);
    }
    node.path("properties").fields().forEachRemaining(
        p -> prepare((ObjectNode) p.getValue(), pointer + "/" + p.getKey()));
    if (node.path("items").isObject()) {
      prepare((ObjectNode) node.get("items"), pointer + "/*");
    }
    if (node.path("additionalProperties").isObject()) {
      prepare((ObjectNode) node.get("additionalProperties"), pointer + "/*");
    }
    for (String combinator : List.of("anyOf", "allOf", "oneOf")) {
      for (JsonNode alternative : node.path(combinator)) {
        prepare((ObjectNode) alternative, pointer);
      }
    }
  }
}
