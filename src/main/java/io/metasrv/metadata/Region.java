package io.metasrv.metadata;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A region in a table route: {@code {"id":u64,"name":str,"partition":null|{...},"attrs":{}}}.
 * {@code attrs} is a sorted map in GreptimeDB, so it is written in key order.
 */
public record Region(
    @JsonProperty(value = "id", required = true) @UnsignedLongJson.U64 long id,
    @JsonProperty(value = "name", required = true) String name,
    @JsonProperty("partition") Partition partition,
    @JsonProperty(value = "attrs", required = true) SortedMap<String, String> attrs) {

  private static final SortedMap<String, String> NO_ATTRS = Collections.emptySortedMap();

  public Region {
    Objects.requireNonNull(name, "name");
    // Most regions have none, and the leader keeps every table's regions: one shared empty map.
    attrs = attrs.isEmpty() ? NO_ATTRS : Collections.unmodifiableSortedMap(new TreeMap<>(attrs));
  }

  /** A region with an empty name, no partition and no attributes. */
  public static Region of(long regionId) {
    return new Region(regionId, "", null, new TreeMap<>());
  }
}
