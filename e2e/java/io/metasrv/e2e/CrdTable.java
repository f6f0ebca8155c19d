package io.metasrv.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-side printing of custom resources, as the real API server does it for a request with
 * {@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io} (k8s.io/apiextensions-apiserver's
 * {@code tableconvertor} and k8s.io/apiserver's {@code transformResponseObject}): a {@code
 * meta.k8s.io/v1 Table} whose columns are a {@code Name} column, then the CRD version's {@code
 * additionalPrinterColumns} in the CRD's order (only {@code Age} from {@code
 * .metadata.creationTimestamp} when it declares none); one row per object, each cell the first
 * value of the column's JSONPath converted to the column's type, {@code null} when the path finds
 * nothing or the value has another type (kubectl shows {@code <none>}); the row's {@code object}
 * a {@code PartialObjectMetadata} (the default, {@code includeObject=Metadata}), the whole object
 * ({@code includeObject=Object}) or {@code null} ({@code includeObject=None}).
 *
 * <p>JSONPath: only the subset that printer columns use ("simple JSON path"): {@code .field},
 * {@code [index]} (negative from the end), {@code [*]}, {@code ['field']} and the filter {@code
 * [?(@.a.b == literal)]} with a string, number or boolean literal. Anything else is refused with
 * an {@link IllegalArgumentException} (the real API server refuses such a CRD).
 */
final class CrdTable {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** {@code metav1.ObjectMeta{}.SwaggerDoc()["name"]}, the Name column's description. */
  static final String NAME_DESCRIPTION = "Name must be unique within a namespace. Is required when"
      + " creating resources, although some resources may allow a client to request the generation"
      + " of an appropriate name automatically. Name is primarily intended for creation idempotence"
      + " and configuration definition. Cannot be updated. More info:"
      + " https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
  /** {@code metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}, the default Age column's. */
  static final String CREATION_TIMESTAMP_DESCRIPTION = "CreationTimestamp is a timestamp"
      + " representing the server time when this object was created. It is not guaranteed to be set"
      + " in happens-before order across separate operations. Clients may not set this value. It is"
      + " represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for"
      + " lists. More info:"
      + " https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

  private CrdTable() {}

  /**
   * The meta.k8s.io Table version that an Accept header asks for first ({@code "v1"} or {@code
   * "v1beta1"}, the same format), or {@code null} when its first JSON media range is not a Table
   * (a plain {@code application/json}, as fabric8 and {@code kubectl -o json} send).
   */
  static String tableVersion(String accept) {
    if (accept == null) {
      return null;
    }
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim();
      if (!type.equals("application/json") && !type.equals("*/*") && !type.equals("application/*")) {
        continue;
      }
      String as = null;
      String v = null;
      String g = null;
      for (int i = 1; i < parts.length; i++) {
        String[] kv = parts[i].trim().split("=", 2);
        if (kv.length == 2) {
          switch (kv[0].trim()) {
            case "as" -> as = kv[1].trim();
            case "v" -> v = kv[1].trim();
            case "g" -> g = kv[1].trim();
            default -> { }
          }
        }
      }
      if (as == null) {
        return null;
      }
      if (as.equals("Table") && "meta.k8s.io".equals(g) && ("v1".equals(v) || "v1beta1".equals(v))) {
        return v;
      }
    }
    return null;
  }

  /**
   * The printer columns of {@code version} in the CRD, in its order, or the default Age column
   * when it declares none ({@code serveDefaultColumnsIfEmpty}).
   */
  static List<JsonNode> columns(JsonNode crd, String version) {
    for (JsonNode v : crd.path("spec").path("versions")) {
      if (v.path("name").asText().equals(version)) {
        List<JsonNode> columns = new ArrayList<>();
        v.path("additionalPrinterColumns").forEach(columns::add);
        if (columns.isEmpty()) {
          columns.add(NODES.objectNode().put("name", "Age").put("type", "date")
              .put("description", CREATION_TIMESTAMP_DESCRIPTION)
              .put("jsonPath", ".metadata.creationTimestamp"));
        }
        return columns;
      }
    }
    throw new IllegalArgumentException("version " + version + " not found in CustomResourceDefinition: "
        + crd.path("metadata").path("name").asText());
  }

  /**
   * {@code body} (a list with {@code items}, or one object) as a Table of {@code tableVersion}
   * ({@code v1}), its columns those of {@code version} of {@code crd}; ages against {@code now}.
   */
  static ObjectNode toTable(JsonNode crd, String version, JsonNode body, String tableVersion,
      String includeObject, Instant now) {
    List<JsonNode> columns = columns(crd, version);
    List<List<Step>> paths = new ArrayList<>();
    String groupVersion = "meta.k8s.io/" + tableVersion;
    ObjectNode table = NODES.objectNode().put("kind", "Table").put("apiVersion", groupVersion);
    ObjectNode metadata = table.putObject("metadata");
    ArrayNode definitions = table.putArray("columnDefinitions");
    definitions.addObject().put("name", "Name").put("type", "string").put("format", "name")
        .put("description", NAME_DESCRIPTION).put("priority", 0);
    for (JsonNode column : columns) {
      String jsonPath = column.path("jsonPath").asText();
      paths.add(parse(jsonPath));
      String description = column.path("description").asText("");
      definitions.addObject().put("name", column.path("name").asText())
          .put("type", column.path("type").asText())
          .put("format", column.path("format").asText(""))
          .put("description", description.isEmpty()
              ? "Custom resource definition column (in JSONPath format): " + jsonPath : description)
          .put("priority", column.path("priority").asInt(0));
    }
    boolean list = body.has("items");
    JsonNode meta = body.path("metadata");
    if (meta.hasNonNull("resourceVersion")) {
      metadata.put("resourceVersion", meta.path("resourceVersion").asText());
    }
    if (list && meta.hasNonNull("continue") && !meta.path("continue").asText().isEmpty()) {
      metadata.put("continue", meta.path("continue").asText());
    }
    if (list && meta.hasNonNull("remainingItemCount")) {
      metadata.set("remainingItemCount", meta.get("remainingItemCount"));
    }
    ArrayNode rows = table.putArray("rows");
    Iterable<JsonNode> items = list ? body.get("items") : List.of(body);
    for (JsonNode item : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(item.path("metadata").path("name").asText());
      for (int i = 0; i < columns.size(); i++) {
        List<JsonNode> found = evaluate(paths.get(i), item);
        cells.add(found.isEmpty() ? NODES.nullNode()
            : cell(columns.get(i).path("type").asText(), found.get(0), now));
      }
      switch (includeObject == null || includeObject.isEmpty() ? "Metadata" : includeObject) {
        case "Object" -> row.set("object", item);
        case "None" -> row.putNull("object");
        default -> {
          ObjectNode partial = row.putObject("object").put("kind", "PartialObjectMetadata")
              .put("apiVersion", groupVersion);
          partial.set("metadata", item.path("metadata").deepCopy());
        }
      }
    }
    return table;
  }

  /** {@code cellForJSONValue}, and the text of the value for a string column. */
  static JsonNode cell(String type, JsonNode value, Instant now) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return NODES.nullNode();
    }
    switch (type) {
      case "string":
        // The real server prints any value with the JSONPath printer (Go's fmt for non-strings).
        return value.isValueNode() ? NODES.textNode(value.asText())
            : NODES.textNode(value.toString());
      case "integer":
        return value.isNumber() ? NODES.numberNode(value.isIntegralNumber()
            ? value.asLong() : (long) value.asDouble()) : NODES.nullNode();
      case "number":
        return value.isNumber() ? NODES.numberNode(value.asDouble()) : NODES.nullNode();
      case "boolean":
        return value.isBoolean() ? value : NODES.nullNode();
      case "date":
        if (!value.isTextual()) {
          return NODES.nullNode();
        }
        Instant at;
        try {
          at = OffsetDateTime.parse(value.asText()).toInstant();
        } catch (DateTimeParseException e) {
          return NODES.textNode("<invalid>");
        }
        if (at.equals(Instant.parse("0001-01-01T00:00:00Z"))) {
          return NODES.textNode("<unknown>");
        }
        return NODES.textNode(humanDuration(Duration.between(at, now)));
      default:
        return NODES.nullNode();
    }
  }

  /** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
  static String humanDuration(Duration d) {
    long seconds = d.getSeconds() + (d.isNegative() && d.getNano() > 0 ? 1 : 0); // toward zero
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = seconds / 3600;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long dy = hours / 24 % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }

  // ------------------------------------------------------------------------------------------
  // JSONPath, the subset of printer columns.

  /** One step: a field, an index, all elements, or a filter on a field path. */
  record Step(String field, Integer index, boolean all, List<String> filterPath, JsonNode filterValue) {}

  /** The values that {@code jsonPath} finds in {@code root}, in order; empty when none. */
  static List<JsonNode> find(JsonNode root, String jsonPath) {
    return evaluate(parse(jsonPath), root);
  }

  static List<Step> parse(String jsonPath) {
    String p = jsonPath.trim();
    if (p.startsWith("{") && p.endsWith("}")) {
      p = p.substring(1, p.length() - 1).trim();
    }
    if (p.startsWith("$")) {
      p = p.substring(1);
    }
    List<Step> steps = new ArrayList<>();
    int i = 0;
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == '.') {
        int end = i + 1;
        while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') {
          end++;
        }
        String field = p.substring(i + 1, end);
        if (field.isEmpty() || field.equals("*")) {
          throw unsupported(jsonPath);
        }
        steps.add(new Step(field, null, false, null, null));
        i = end;
      } else if (c == '[') {
        int end = closing(p, i, jsonPath);
        String inner = p.substring(i + 1, end).trim();
        if (inner.equals("*")) {
          steps.add(new Step(null, null, true, null, null));
        } else if (inner.startsWith("?(") && inner.endsWith(")")) {
          steps.add(filter(inner.substring(2, inner.length() - 1).trim(), jsonPath));
        } else if ((inner.startsWith("'") && inner.endsWith("'") && inner.length() >= 2)
            || (inner.startsWith("\"") && inner.endsWith("\"") && inner.length() >= 2)) {
          steps.add(new Step(inner.substring(1, inner.length() - 1), null, false, null, null));
        } else {
          try {
            steps.add(new Step(null, Integer.parseInt(inner), false, null, null));
          } catch (NumberFormatException e) {
            throw unsupported(jsonPath);
          }
        }
        i = end + 1;
      } else {
        throw unsupported(jsonPath);
      }
    }
    return steps;
  }

  /** The index of the {@code ]} that closes the {@code [} at {@code open}, quotes skipped. */
  private static int closing(String p, int open, String jsonPath) {
    char quote = 0;
    for (int i = open + 1; i < p.length(); i++) {
      char c = p.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == ']') {
        return i;
      }
    }
    throw unsupported(jsonPath);
  }

  /** {@code @.a.b == literal}. */
  private static Step filter(String expression, String jsonPath) {
    int eq = expression.indexOf("==");
    if (eq < 0 || !expression.startsWith("@")) {
      throw unsupported(jsonPath);
    }
    String left = expression.substring(1, eq).trim();
    String right = expression.substring(eq + 2).trim();
    List<String> path = new ArrayList<>();
    for (Step s : parse(left)) {
      if (s.field() == null) {
        throw unsupported(jsonPath);
      }
      path.add(s.field());
    }
    JsonNode literal;
    if (right.length() >= 2 && (right.startsWith("\"") && right.endsWith("\"")
        || right.startsWith("'") && right.endsWith("'"))) {
      literal = NODES.textNode(right.substring(1, right.length() - 1));
    } else if (right.equals("true") || right.equals("false")) {
      literal = NODES.booleanNode(Boolean.parseBoolean(right));
    } else {
      try {
        literal = NODES.numberNode(new BigDecimal(right));
      } catch (NumberFormatException e) {
        throw unsupported(jsonPath);
      }
    }
    return new Step(null, null, false, path, literal);
  }

  private static IllegalArgumentException unsupported(String jsonPath) {
    return new IllegalArgumentException("unsupported printer column JSONPath (the e2e mock knows"
        + " .field, [n], [*], ['field'] and [?(@.field==literal)]): " + jsonPath);
  }

  static List<JsonNode> evaluate(List<Step> steps, JsonNode root) {
    List<JsonNode> current = List.of(root);
    for (Step step : steps) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : current) {
        if (step.field() != null) {
          if (node.isObject() && node.has(step.field())) { // a missing key finds nothing
            next.add(node.get(step.field()));
          }
        } else if (step.index() != null) {
          if (node.isArray()) {
            int i = step.index() < 0 ? node.size() + step.index() : step.index();
            if (i >= 0 && i < node.size()) {
              next.add(node.get(i));
            }
          }
        } else if (node.isArray()) {
          for (JsonNode element : node) {
            if (step.all() || matches(element, step.filterPath(), step.filterValue())) {
              next.add(element);
            }
          }
        }
      }
      current = next;
    }
    return current;
  }

  private static boolean matches(JsonNode element, List<String> path, JsonNode literal) {
    JsonNode value = element;
    for (String field : path) {
      if (!value.isObject() || !value.has(field)) {
        return false;
      }
      value = value.get(field);
    }
    if (literal.isNumber()) {
      return value.isNumber() && value.decimalValue().compareTo(literal.decimalValue()) == 0;
    }
    return value.equals(literal);
  }
}
