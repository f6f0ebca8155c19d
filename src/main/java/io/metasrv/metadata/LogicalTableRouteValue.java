package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The route of a logical (metric engine) table: {@code
 * {"type":"logical","physical_table_id":u32,"region_ids":[u64...]}}, the region ids made of the
 * logical table's id and the physical regions' numbers. A logical route grants no region lease.
 */
public record LogicalTableRouteValue(
    @JsonProperty(value = "physical_table_id", required = true) long physicalTableId,
    @JsonProperty(value = "region_ids", required = true) @UnsignedLongJson.U64Elements
        List<Long> regionIds)
    implements TableRouteValue {

  public LogicalTableRouteValue {
    regionIds = List.copyOf(regionIds);
  }
}
