package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * The value of {@code __table_route/{table_id}}, tagged by {@code "type"}: a {@link
 * PhysicalTableRouteValue} ({@code "physical"}, the regions and where they are) or a {@link
 * LogicalTableRouteValue} ({@code "logical"}, a metric-engine table living in the regions of a
 * physical one). Values written before the tag existed have no {@code "type"} and are physical.
 */
@JsonTypeInfo(
    use = JsonTypeInfo.Id.NAME,
    property = "type",
    defaultImpl = PhysicalTableRouteValue.class)
@JsonSubTypes({
  @JsonSubTypes.Type(value = PhysicalTableRouteValue.class, name = "physical"),
  @JsonSubTypes.Type(value = LogicalTableRouteValue.class, name = "logical")
})
public sealed interface TableRouteValue permits PhysicalTableRouteValue, LogicalTableRouteValue {

  /** Decodes a stored table route, the legacy untagged form included. */
  static TableRouteValue decode(byte[] json) {
    return SerdeJson.read(json, TableRouteValue.class, "TableRouteValue");
  }

  /** The value as GreptimeDB writes it, {@code "type"} first. */
  default byte[] encode() {
    return SerdeJson.write(this);
  }
}
