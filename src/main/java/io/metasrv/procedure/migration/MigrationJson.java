package io.metasrv.procedure.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.heartbeat.instruction.Humantime;
import io.metasrv.metadata.InvalidMetadataException;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.SerdeJson;
import java.math.BigInteger;
import java.time.Duration;

/**
 * A region migration's procedure data as GreptimeDB dumps it: {@code {"persistent_ctx":{...},
 * "state":{"region_migration_state":"...", ...}}}, region id as an unsigned number.
 */
final class MigrationJson {
  private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  private MigrationJson() {}

  /** A migration read back from the store. */
  record Data(PersistentContext context, MigrationState state) {}

  static String write(PersistentContext context, MigrationState state) {
    ObjectNode root = SerdeJson.MAPPER.createObjectNode();
    ObjectNode ctx = root.putObject("persistent_ctx");
    ctx.put("catalog", context.catalog());
    ctx.put("schema", context.schema());
    ctx.set("from_peer", SerdeJson.MAPPER.valueToTree(context.fromPeer()));
    ctx.set("to_peer", SerdeJson.MAPPER.valueToTree(context.toPeer()));
    ctx.put("region_id", new BigInteger(Long.toUnsignedString(context.regionId())));
    ctx.put("timeout", Humantime.format(context.timeout()));
    ObjectNode stateNode = root.putObject("state");
    stateNode.put("region_migration_state", state.name());
    if (state instanceof MigrationState.UpdateMetadataDowngrade) {
      stateNode.put("UpdateMetadata", "Downgrade");
    } else if (state instanceof MigrationState.UpdateMetadataUpgrade) {
      stateNode.put("UpdateMetadata", "Upgrade");
    } else if (state instanceof MigrationState.UpdateMetadataRollback) {
      stateNode.put("UpdateMetadata", "Rollback");
    } else if (state instanceof MigrationState.Abort abort) {
      stateNode.put("reason", abort.reason());
    }
    return root.toString();
  }

  /** @throws InvalidMetadataException when the text is not a migration */
  static Data read(String json) {
    JsonNode root = SerdeJson.readTree(json.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "RegionMigration data");
    JsonNode ctx = required(root, "persistent_ctx");
    JsonNode timeout = ctx.get("timeout");
    PersistentContext context = new PersistentContext(
        required(ctx, "catalog").asText(),
        required(ctx, "schema").asText(),
        SerdeJson.convert(required(ctx, "from_peer"), Peer.class, "from_peer"),
        SerdeJson.convert(required(ctx, "to_peer"), Peer.class, "to_peer"),
        unsigned(required(ctx, "region_id")),
        timeout == null || timeout.isNull() ? PersistentContext.DEFAULT_TIMEOUT
            : Humantime.parse(timeout.asText()));
    return new Data(context, state(required(root, "state")));
  }

  private static MigrationState state(JsonNode node) {
    String name = required(node, "region_migration_state").asText();
    return switch (name) {
      case "RegionMigrationStart" -> new MigrationState.Start();
      case "OpenCandidateRegion" -> new MigrationState.OpenCandidateRegion();
      case "DowngradeLeaderRegion" -> new MigrationState.DowngradeLeaderRegion();
      case "UpgradeCandidateRegion" -> new MigrationState.UpgradeCandidateRegion();
      case "CloseDowngradedRegion" -> new MigrationState.CloseDowngradedRegion();
      case "RegionMigrationEnd" -> new MigrationState.End();
      case "RegionMigrationAbort" -> new MigrationState.Abort(required(node, "reason").asText());
      case "UpdateMetadata" -> switch (required(node, "UpdateMetadata").asText()) {
        case "Downgrade" -> new MigrationState.UpdateMetadataDowngrade();
        case "Upgrade" -> new MigrationState.UpdateMetadataUpgrade();
        case "Rollback" -> new MigrationState.UpdateMetadataRollback();
        default -> throw new InvalidMetadataException("unknown UpdateMetadata step "
            + node.get("UpdateMetadata") + " in region migration state " + node);
      };
      default -> throw new InvalidMetadataException(
          "unknown region migration state '" + name + "' in " + node);
    };
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidMetadataException("region migration data lacks '" + field + "': " + node);
    }
    return value;
  }

  private static long unsigned(JsonNode node) {
    if (!node.isIntegralNumber() || node.bigIntegerValue().signum() < 0
        || node.bigIntegerValue().compareTo(MAX_U64) > 0) {
      throw new InvalidMetadataException("region_id must be an unsigned 64-bit number, got "
          + node);
    }
    return node.bigIntegerValue().longValue();
  }
}
