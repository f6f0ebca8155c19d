package io.metasrv.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.heartbeat.instruction.CacheIdent;
import io.metasrv.kv.Compare;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.Txn;
import io.metasrv.kv.TxnOp;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.metadata.TableInfoKey;
import io.metasrv.metadata.TableNameKey;
import io.metasrv.metadata.TableNameValue;
import io.metasrv.procedure.LockKey;
import io.metasrv.procedure.LockKeys;
import io.metasrv.procedure.ProcedureContext;
import io.metasrv.procedure.Status;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ALTER TABLE ... RENAME TO, GreptimeDB's {@code AlterTableProcedure} for its rename kind: Prepare
 * (the table must exist and the new name must be free), UpdateMetadata (one transaction that
 * moves {@code __table_name} to the new name and rewrites {@code __table_info} with the new name
 * and its outer version + 1, compared on the raw bytes read in Prepare, as {@code
 * TableMetadataManager::rename_table}), InvalidateTableCache (TableId and the old TableName).
 * A rename sends no region request. The other alter kinds are not built yet.
 *
 * <p>Persisted data: {@code {"state":..., "task":{"catalog","schema","table","table_id"},
 * "new_table_name":..., "table_info_value":<raw __table_info read in Prepare>}}.
 */
public final class AlterTableProcedure extends DdlProcedure {
  public static final String TYPE_NAME = "metasrv-procedure::AlterTable";

  enum State { Prepare, UpdateMetadata, InvalidateTableCache }

  private final TableNameKey name;
  private final String newTableName;
  private State state;
  private long tableId;
  private String tableInfoValue;

  AlterTableProcedure(DdlContext ddl, State state, TableNameKey name, String newTableName,
      long tableId, String tableInfoValue) {
    super(ddl, TYPE_NAME);
    this.state = state;
    this.name = name;
    this.newTableName = newTableName;
    this.tableId = tableId;
    this.tableInfoValue = tableInfoValue;
  }

  static AlterTableProcedure load(DdlContext ddl, String data) {
    JsonNode root = SerdeJson.readTree(data.getBytes(StandardCharsets.UTF_8), "AlterTable data");
    JsonNode task = root.path("task");
    return new AlterTableProcedure(ddl, State.valueOf(root.path("state").asText()),
        new TableNameKey(task.path("catalog").asText(), task.path("schema").asText(),
            task.path("table").asText()), root.path("new_table_name").asText(),
        task.path("table_id").asLong(), root.path("table_info_value").asText());
  }

  @Override
  public String dump() {
    ObjectNode root = dumpOf(state);
    TableMetadata.putTableTask(root, name, tableId);
    root.put("new_table_name", newTableName);
    root.put("table_info_value", tableInfoValue);
    return root.toString();
  }

  /** Catalog and schema shared, the old and the new table name exclusive. */
  @Override
  public LockKeys lockKeys() {
    return LockKeys.of(LockKey.catalogRead(name.catalog()),
        LockKey.schemaRead(name.catalog(), name.schema()),
        LockKey.tableNameWrite(name.catalog(), name.schema(), name.table()),
        LockKey.tableNameWrite(name.catalog(), name.schema(), newTableName));
  }

  @Override
  Status step(ProcedureContext context) {
    switch (state) {
      case Prepare -> prepare();
      case UpdateMetadata -> updateMetadata();
      case InvalidateTableCache -> {
        ddl.invalidation().invalidate(List.of(new CacheIdent.TableId(tableId),
            new CacheIdent.TableName(name.catalog(), name.schema(), name.table())));
        return Status.done();
      }
    }
    return Status.executing(true);
  }

  private void prepare() {
    tableId = ddl.kv().get(name.toBytes())
        .map(stored -> TableNameValue.decode(stored.value()).tableId())
        .orElseThrow(() -> DdlException.tableNotFound(name.catalog(), name.schema(),
            name.table()));
    tableInfoValue = ddl.kv().get(new TableInfoKey(tableId).toBytes())
        .map(stored -> new String(stored.value(), StandardCharsets.UTF_8))
        .orElseThrow(() -> DdlException.tableNotFound(name.catalog(), name.schema(),
            name.table()));
    if (ddl.kv().get(newName().toBytes()).isPresent()) {
      throw DdlException.tableAlreadyExists(name.catalog(), name.schema(), newTableName);
    }
    state = State.UpdateMetadata;
  }

  /** Done already when a previous leader's transaction went through (resumed after a crash). */
  private void updateMetadata() {
    byte[] infoKey = new TableInfoKey(tableId).toBytes();
    byte[] current = tableInfoValue.getBytes(StandardCharsets.UTF_8);
    byte[] renamed = renamedTableInfo(current);
    Optional<KeyValue> stored = ddl.kv().get(infoKey);
    if (stored.isPresent() && Arrays.equals(stored.get().value(), renamed)) {
      state = State.InvalidateTableCache;
      return;
    }
    boolean succeeded = ddl.kv().txn(Txn.when(
        List.of(Compare.valueEquals(infoKey, current), Compare.exists(name.toBytes()),
            Compare.absent(newName().toBytes())),
        List.of(TxnOp.delete(name.toBytes()),
            TxnOp.put(newName().toBytes(), new TableNameValue(tableId).encode()),
            TxnOp.put(infoKey, renamed)),
        List.of())).succeeded();
    if (!succeeded) {
      throw new DdlException(DdlException.INTERNAL, "Metadata of table " + name.table()
          + " (id " + tableId + ") changed while it was being renamed to " + newTableName);
    }
    state = State.InvalidateTableCache;
  }

  /** {@code TableInfoValue::with_update}: the name replaced, the outer version + 1. */
  private byte[] renamedTableInfo(byte[] current) {
    ObjectNode value = (ObjectNode) SerdeJson.readTree(current, "TableInfoValue");
    ((ObjectNode) value.path("table_info")).put("name", newTableName);
    value.put("version", value.path("version").asLong() + 1);
    return value.toString().getBytes(StandardCharsets.UTF_8);
  }

  private TableNameKey newName() {
    return new TableNameKey(name.catalog(), name.schema(), newTableName);
  }
}
