package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The partition bounds of a region in a table route: the partition columns and the bound values,
 * each an opaque string (GreptimeDB's bytes written as UTF-8 text).
 */
public record Partition(
    @JsonProperty(value = "column_list", required = true) List<String> columnList,
    @JsonProperty(value = "value_list", required = true) List<String> valueList) {

  public Partition {
    columnList = List.copyOf(columnList);
    valueList = List.copyOf(valueList);
  }
}
