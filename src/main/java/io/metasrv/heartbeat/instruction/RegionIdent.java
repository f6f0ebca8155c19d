package io.metasrv.heartbeat.instruction;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.UnsignedLongJson.U64;
import java.util.Objects;

/**
 * A region on a datanode: {@code
 * {"datanode_id":u64,"table_id":u32,"region_number":u32,"engine":"mito2"}}, all required.
 */
public record RegionIdent(
    @JsonProperty(value = "datanode_id", required = true) @U64 long datanodeId,
    @JsonProperty(value = "table_id", required = true) long tableId,
    @JsonProperty(value = "region_number", required = true) long regionNumber,
    @JsonProperty(value = "engine", required = true) String engine) {

  public RegionIdent {
    Objects.requireNonNull(engine, "engine");
  }

  public long regionId() {
    return RegionId.of(tableId, regionNumber);
  }
}
