package io.metasrv.heartbeat.instruction;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.Peer;
import io.metasrv.metadata.UnsignedLongJson.U64Elements;
import java.util.List;
import java.util.Objects;

/**
 * What a node should drop from its caches, externally tagged like every Rust enum: {@code
 * {"TableId":1024}}, {@code {"FlowId":7}}, {@code
 * {"TableName":{"catalog_name":..,"schema_name":..,"table_name":..}}}, {@code
 * {"SchemaName":{"catalog_name":..,"schema_name":..}}}, {@code
 * {"FlowName":{"catalog_name":..,"flow_name":..}}}, {@code
 * {"CreateFlow":{"source_table_ids":[..],"flownodes":[Peer..]}}}, {@code
 * {"DropFlow":{"source_table_ids":[..],"flownode_ids":[..]}}}. The JSON is written and read by
 * {@link Instruction.InvalidateCaches}.
 */
public sealed interface CacheIdent {

  record TableId(long tableId) implements CacheIdent {}

  record FlowId(long flowId) implements CacheIdent {}

  record TableName(
      @JsonProperty(value = "catalog_name", required = true) String catalogName,
      @JsonProperty(value = "schema_name", required = true) String schemaName,
      @JsonProperty(value = "table_name", required = true) String tableName)
      implements CacheIdent {
    public TableName {
      Objects.requireNonNull(catalogName, "catalogName");
      Objects.requireNonNull(schemaName, "schemaName");
      Objects.requireNonNull(tableName, "tableName");
    }
  }

  record SchemaName(
      @JsonProperty(value = "catalog_name", required = true) String catalogName,
      @JsonProperty(value = "schema_name", required = true) String schemaName)
      implements CacheIdent {
    public SchemaName {
      Objects.requireNonNull(catalogName, "catalogName");
      Objects.requireNonNull(schemaName, "schemaName");
    }
  }

  record FlowName(
      @JsonProperty(value = "catalog_name", required = true) String catalogName,
      @JsonProperty(value = "flow_name", required = true) String flowName)
      implements CacheIdent {
    public FlowName {
      Objects.requireNonNull(catalogName, "catalogName");
      Objects.requireNonNull(flowName, "flowName");
    }
  }

  record CreateFlow(
      @JsonProperty(value = "source_table_ids", required = true) List<Long> sourceTableIds,
      @JsonProperty(value = "flownodes", required = true) List<Peer> flownodes)
      implements CacheIdent {
    public CreateFlow {
      sourceTableIds = List.copyOf(sourceTableIds);
      flownodes = List.copyOf(flownodes);
    }
  }

  record DropFlow(
      @JsonProperty(value = "source_table_ids", required = true) List<Long> sourceTableIds,
      @JsonProperty(value = "flownode_ids", required = true) @U64Elements
          List<Long> flownodeIds)
      implements CacheIdent {
    public DropFlow {
      sourceTableIds = List.copyOf(sourceTableIds);
      flownodeIds = List.copyOf(flownodeIds);
    }
  }
}
