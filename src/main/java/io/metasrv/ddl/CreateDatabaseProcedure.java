package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.kv.Compare;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.metadata.SchemaNameKey;
import io.metasrv.metadata.SchemaNameValue;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CREATE DATABASE, GreptimeDB's {@code CreateDatabaseProcedure}: Prepare (an existing schema is
 * done with {@code create_if_not_exists}, an error otherwise), CreateMetadata ({@code
 * __schema_name/{catalog}/{schema}} = {@code {"ttl":...}} from option {@code ttl}, put if absent).
 *
 * <p>Persisted data: {@code {"state":..., "catalog":..., "schema":..., "create_if_not_exists":bool,
 * "options":{...}}}.
 */
public final class CreateDatabaseProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::CreateDatabase";

  enum State { Prepare, CreateMetadata }

  private final String catalog;
  private final String schema;
  private final boolean createIfNotExists;
  private final Map<String, String> options;
  private State state;

  CreateDatabaseProcedure(DdlContext ddl, State state, String catalog, String schema,
      boolean createIfNotExists, Map<String, String> options) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.catalog = catalog;
    this.schema = schema;
    this.createIfNotExists = createIfNotExists;
    this.options = new LinkedHashMap<>(options);
  }

  static CreateDatabaseProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8),
        "CreateDatabase data");
    Map<String, String> options = new LinkedHashMap<>();
    root.path("options").fields().forEachRemaining(
        entry -> options.put(entry.getKey(), entry.getValue().asText()));
    return new CreateDatabaseProcedure(ddl, State.valueOf(root.path("state").asText()),
        root.path("catalog").asText(), root.path("schema").asText(),
        root.path("create_if_not_exists").asBoolean(), options);
  }

  /**
   * The schema value of the options: only {@code ttl} counts, as in GreptimeDB.
   *
   * @throws DdlException when the ttl is not a duration or {@code "forever"}
   */
  static SchemaNameValue schemaValue(Map<String, String> options) {
    String ttl = options.entrySet().stream()
        .filter(entry -> entry.getKey().toLowerCase(Locale.ROOT).equals("ttl"))
        .map(Map.Entry::getValue).findFirst().orElse(null);
    try {
      return new SchemaNameValue(ttl);
    } catch (IllegalArgumentException e) {
      throw DdlException.invalidArguments("Failed to parse value " + ttl + " into key ttl: "
          + e.getMessage());
    }
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    root.put("catalog", catalog);
    root.put("schema", schema);
    root.put("create_if_not_exists", createIfNotExists);
    ObjectNode opts = root.putObject("options");
    options.forEach(opts::put);
    return root.toString();
  }

  /** The catalog shared, the schema exclusive. */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(LockKey.catalogRead(catalog), LockKey.schemaWrite(catalog, schema));
  }

  @Override
  Status step(ProcedureContext context) {
    SchemaNameKey key = new SchemaNameKey(catalog, schema);
    if (state == State.Prepare) {
      if (ddl.kv().get(key.toBytes()).isPresent()) {
        if (createIfNotExists) {
          return Status.done();
        }
        throw DdlException.databaseAlreadyExists(catalog, schema);
      }
      state = State.CreateMetadata;
      return Status.executing(true);
    }
    byte[] raw = key.toBytes();
    ddl.writes().txn(Txn.when(List.of(Compare.absent(raw)),
        List.of(TxnOp.put(raw, schemaValue(options).encode())), List.of()));
    return Status.done();
  }
}
