package io.metasrv.heartbeat.instruction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.metadata.SerdeJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The externally tagged JSON of {@link Instruction} and {@link CacheIdent}. */
final class InstructionJson {
  private InstructionJson() {}

  static String write(Instruction instruction) {
    ObjectNode root = SerdeJson.MAPPER.createObjectNode();
    if (instruction instanceof Instruction.OpenRegion open) {
      root.set("OpenRegion", SerdeJson.MAPPER.valueToTree(open));
    } else if (instruction instanceof Instruction.CloseRegion close) {
      root.set("CloseRegion", SerdeJson.MAPPER.valueToTree(close.regionIdent()));
    } else if (instruction instanceof Instruction.UpgradeRegion upgrade) {
      root.set("UpgradeRegion", SerdeJson.MAPPER.valueToTree(upgrade));
    } else if (instruction instanceof Instruction.DowngradeRegion downgrade) {
      root.set("DowngradeRegion", SerdeJson.MAPPER.valueToTree(downgrade));
    } else if (instruction instanceof Instruction.InvalidateCaches invalidate) {
      ArrayNode caches = root.putArray("InvalidateCaches");
      invalidate.caches().forEach(cache -> caches.add(write(cache)));
    }
    return SerdeJson.writeString(root);
  }

  static Instruction read(String json) {
    Map.Entry<String, JsonNode> variant = variant(parse(json), json);
    JsonNode body = variant.getValue();
    return switch (variant.getKey()) {
      case "OpenRegion" -> convert(body, Instruction.OpenRegion.class, json);
      case "CloseRegion" -> new Instruction.CloseRegion(convert(body, RegionIdent.class, json));
      case "UpgradeRegion" -> convert(body, Instruction.UpgradeRegion.class, json);
      case "DowngradeRegion" -> convert(body, Instruction.DowngradeRegion.class, json);
      case "InvalidateCaches" -> {
        if (!body.isArray()) {
          throw new MalformedMessageException("InvalidateCaches needs an array: " + json);
        }
        List<CacheIdent> caches = new ArrayList<>();
        body.forEach(cache -> caches.add(readCache(cache, json)));
        yield new Instruction.InvalidateCaches(caches);
      }
      default ->
          throw new MalformedMessageException(
              "unknown instruction `" + variant.getKey() + "`: " + json);
    };
  }

  private static JsonNode write(CacheIdent cache) {
    ObjectNode node = SerdeJson.MAPPER.createObjectNode();
    if (cache instanceof CacheIdent.TableId tableId) {
      node.put("TableId", tableId.tableId());
    } else if (cache instanceof CacheIdent.FlowId flowId) {
      node.put("FlowId", flowId.flowId());
    } else {
      node.set(cache.getClass().getSimpleName(), SerdeJson.MAPPER.valueToTree(cache));
    }
    return node;
  }

  private static CacheIdent readCache(JsonNode node, String json) {
    Map.Entry<String, JsonNode> variant = variant(node, json);
    JsonNode body = variant.getValue();
    return switch (variant.getKey()) {
      case "TableId" -> new CacheIdent.TableId(unsigned(body, json));
      case "FlowId" -> new CacheIdent.FlowId(unsigned(body, json));
      case "TableName" -> convert(body, CacheIdent.TableName.class, json);
      case "SchemaName" -> convert(body, CacheIdent.SchemaName.class, json);
      case "FlowName" -> convert(body, CacheIdent.FlowName.class, json);
      case "CreateFlow" -> convert(body, CacheIdent.CreateFlow.class, json);
      case "DropFlow" -> convert(body, CacheIdent.DropFlow.class, json);
      default ->
          throw new MalformedMessageException(
              "unknown cache ident `" + variant.getKey() + "`: " + json);
    };
  }

  static JsonNode parse(String json) {
    try {
      JsonNode tree = SerdeJson.MAPPER.readTree(json);
      if (tree == null || tree.isMissingNode()) {
        throw new MalformedMessageException("empty payload");
      }
      return tree;
    } catch (java.io.IOException e) {
      throw new MalformedMessageException("not JSON: " + json, e);
    }
  }

  private static Map.Entry<String, JsonNode> variant(JsonNode node, String json) {
    if (!node.isObject() || node.size() != 1) {
      throw new MalformedMessageException("expected an object with one variant: " + json);
    }
    return node.fields().next();
  }

  private static long unsigned(JsonNode node, String json) {
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
      throw new MalformedMessageException("expected an unsigned integer: " + json);
    }
    return node.longValue();
  }

  static <T> T convert(JsonNode body, Class<T> type, String json) {
    try {
      return SerdeJson.MAPPER.treeToValue(body, type);
    } catch (java.io.IOException | RuntimeException e) {
      String reason =
          e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new MalformedMessageException(
          "cannot read " + type.getSimpleName() + " from " + json + ": " + reason, e);
    }
  }
}
