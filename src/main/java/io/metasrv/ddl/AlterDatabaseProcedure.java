package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.config.HumanDuration;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.metadata.SchemaNameKey;
import io.metasrv.metadata.SchemaNameValue;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import io.metasrv.protocol.v1.AlterDatabaseExpr;
import io.metasrv.protocol.v1.Option;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * ALTER DATABASE, GreptimeDB's {@code AlterDatabaseProcedure} (d701c18150 {@code
 * ddl/alter_database.rs}): Prepare (the schema must exist: InvalidArguments otherwise, as
 * GreptimeDB's {@code SchemaNotFound}), UpdateMetadata ({@code __schema_name/{catalog}/{schema}}
 * with the options set or unset, compared on the raw bytes read in Prepare; done when it already
 * holds the new value), InvalidateSchemaCache ({@code SchemaName}).
 *
 * <p>The only option is {@code ttl} (key case-insensitive): set to a duration, {@code forever}
 * (also empty or zero), never {@code instant}; unset to none. Any other key is refused with
 * InvalidArguments before the procedure starts.
 *
 * <p>Persisted data, GreptimeDB's {@code AlterDatabaseData}: {@code {"state":..., "kind":
 * {"SetDatabaseOptions":[{"Ttl":"7days"}]} or {"UnsetDatabaseOptions":["Ttl"]}, "catalog_name":
 * ..., "schema_name":..., "schema_value":<raw value read in Prepare, or null>}}.
 */
public final class AlterDatabaseProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::AlterDatabase";

  enum State { Prepare, UpdateMetadata, InvalidateSchemaCache }

  /** A TTL to set (never null, {@code forever} included), or null to unset it. */
  record TtlChange(String ttl) {}

  private final String catalog;
  private final String schema;
  private final List<TtlChange> changes;
  private final boolean set;
  private State state;
  private String schemaValue;

  private AlterDatabaseProcedure(DdlContext ddl, State state, String catalog, String schema,
      boolean set, List<TtlChange> changes, String schemaValue) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.catalog = catalog;
    this.schema = schema;
    this.set = set;
    this.changes = List.copyOf(changes);
    this.schemaValue = schemaValue;
  }

  /**
   * The procedure for {@code expr}, its options read as GreptimeDB's {@code AlterDatabaseKind}.
   *
   * @throws DdlException InvalidArguments for a key other than {@code ttl}, or a TTL that is not
   *     a duration or {@code forever}
   */
  static AlterDatabaseProcedure start(DdlContext ddl, AlterDatabaseExpr expr) {
    List<TtlChange> changes = new ArrayList<>();
    boolean set = expr.getKindCase() == AlterDatabaseExpr.KindCase.SET_DATABASE_OPTIONS;
    if (set) {
      for (Option option : expr.getSetDatabaseOptions().getSetDatabaseOptionsList()) {
        String ttl = option.getKey().toLowerCase(Locale.ROOT).equals("ttl")
            ? databaseTtl(option.getValue()) : null;
        if (ttl == null) {
          throw DdlException.invalidArguments("Invalid set database option, key: "
              + option.getKey() + ", value: " + option.getValue());
        }
        changes.add(new TtlChange(ttl));
      }
    } else {
      for (String key : expr.getUnsetDatabaseOptions().getKeysList()) {
        if (!key.toLowerCase(Locale.ROOT).equals("ttl")) {
          throw DdlException.invalidArguments("Invalid unset database option, key: " + key);
        }
        changes.add(new TtlChange(null));
      }
    }
    return new AlterDatabaseProcedure(ddl, State.Prepare, expr.getCatalogName(),
        expr.getSchemaName(), set, changes, null);
  }

  /**
   * {@code DatabaseTimeToLive::from_humantime_or_str}: {@code forever} for "forever", empty or a
   * zero duration, the text for another duration, null for {@code instant} or anything else.
   */
  private static String databaseTtl(String value) {
    String lower = value.toLowerCase(Locale.ROOT);
    if (lower.equals("forever") || value.isEmpty()) {
      return SchemaNameValue.FOREVER;
    }
    if (lower.equals("instant")) {
      return null;
    }
    try {
      return HumanDuration.parse(value).isZero() ? SchemaNameValue.FOREVER : value;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static AlterDatabaseProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8),
        "AlterDatabase data");
    JsonNode kind = root.path("kind");
    boolean set = kind.has("SetDatabaseOptions");
    List<TtlChange> changes = new ArrayList<>();
    if (set) {
      kind.get("SetDatabaseOptions").forEach(
          option -> changes.add(new TtlChange(option.path("Ttl").asText())));
    } else {
      kind.path("UnsetDatabaseOptions").forEach(key -> changes.add(new TtlChange(null)));
    }
    JsonNode value = root.path("schema_value");
    return new AlterDatabaseProcedure(ddl, State.valueOf(root.path("state").asText()),
        root.path("catalog_name").asText(), root.path("schema_name").asText(), set, changes,
        value.isTextual() ? value.asText() : null);
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    ObjectNode kind = root.putObject("kind");
    ArrayNode options = kind.putArray(set ? "SetDatabaseOptions" : "UnsetDatabaseOptions");
    for (TtlChange change : changes) {
      if (set) {
        options.addObject().put("Ttl", change.ttl());
      } else {
        options.add("Ttl");
      }
    }
    root.put("catalog_name", catalog);
    root.put("schema_name", schema);
    if (schemaValue == null) {
      root.putNull("schema_value");
    } else {
      root.put("schema_value", schemaValue);
    }
    return root.toString();
  }

  /** The catalog shared, the schema exclusive. */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(LockKey.catalogRead(catalog), LockKey.schemaWrite(catalog, schema));
  }

  @Override
  Status step(ProcedureContext context) {
    byte[] key = new SchemaNameKey(catalog, schema).toBytes();
    switch (state) {
      case Prepare -> {
        schemaValue = ddl.kv().get(key)
            .map(stored -> new String(stored.value(), StandardCharsets.UTF_8))
            .orElseThrow(() -> DdlException.invalidArguments("Schema not found, schema: "
                + schema));
        state = State.UpdateMetadata;
      }
      case UpdateMetadata -> {
        updateMetadata(key);
        state = State.InvalidateSchemaCache;
      }
      case InvalidateSchemaCache -> {
        ddl.invalidation().invalidate(List.of(new CacheIdent.SchemaName(catalog, schema)));
        return Status.done();
      }
    }
    return Status.executing(true);
  }

  private void updateMetadata(byte[] key) {
    byte[] current = schemaValue.getBytes(StandardCharsets.UTF_8);
    String ttl = SchemaNameValue.decode(current).ttl();
    for (TtlChange change : changes) {
      ttl = change.ttl();
    }
    SchemaNameValue updated = new SchemaNameValue(ttl);
    boolean succeeded = ddl.writes().txn(Txn.when(List.of(Compare.valueEquals(key, current)),
        List.of(TxnOp.put(key, updated.encode())), List.of())).succeeded();
    if (succeeded) {
      return;
    }
    Optional<KeyValue> stored = ddl.kv().get(key);
    if (stored.isEmpty() || !SchemaNameValue.decode(stored.get().value()).equals(updated)) {
      throw new DdlException(DdlException.UNEXPECTED, "Schema " + catalog + "." + schema
          + " changed while it was being altered");
    }
  }
}
