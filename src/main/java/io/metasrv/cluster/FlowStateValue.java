package io.metasrv.cluster;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.metasrv.metadata.SerdeJson;
import io.metasrv.protocol.FlowStat;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The value of {@code __flow/state}: per flow id, the bytes of its state in memory and its last
 * execution time (unix ms). Both maps are sorted by flow id as GreptimeDB's BTreeMaps are, keys
 * written as decimal strings: {@code
 * {"state_size":{"2":1024,"10":0},"last_exec_time_map":{"2":1743400000000}}}.
 */
public record FlowStateValue(
    @JsonProperty(value = "state_size", required = true) SortedMap<Long, Long> stateSize,
    @JsonProperty(value = "last_exec_time_map", required = true)
        SortedMap<Long, Long> lastExecTimeMap) {

  public FlowStateValue {
    stateSize = Collections.unmodifiableSortedMap(new TreeMap<>(stateSize));
    lastExecTimeMap = Collections.unmodifiableSortedMap(new TreeMap<>(lastExecTimeMap));
  }

  /** The value a flownode's heartbeat report replaces the stored one with. */
  public static FlowStateValue fromProto(FlowStat flowStat) {
    TreeMap<Long, Long> sizes = new TreeMap<>();
    flowStat
        .getFlowStatSizeMap()
        .forEach((flow, size) -> sizes.put(Integer.toUnsignedLong(flow), size));
    TreeMap<Long, Long> times = new TreeMap<>();
    flowStat
        .getFlowLastExecTimeMapMap()
        .forEach((flow, time) -> times.put(Integer.toUnsignedLong(flow), time));
    return new FlowStateValue(sizes, times);
  }

  public static FlowStateValue decode(byte[] json) {
    return SerdeJson.read(json, FlowStateValue.class, "FlowStateValue");
  }

  public byte[] encode() {
    return SerdeJson.write(this);
  }
}
