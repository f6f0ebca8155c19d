package io.metasrv.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.kv.KeyValue;
import io.metasrv.kv.RangeRequest;
import io.metasrv.metadata.UnsignedLongJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The leader's view as GreptimeDB's admin routes show it: {@code /admin/node-lease} (every
 * datanode lease, alive or not) and {@code /admin/heartbeat} (every datanode's stored stats,
 * optionally only those of one address), in GreptimeDB's JSON.
 */
public final class ClusterReports {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final ClusterView view;

  public ClusterReports(ClusterView view) {
    this.view = view;
  }

  /**
   * {@code [{"name":{"node_id":N},"human_time":"2024-01-02 03:04:05.678","lease":{...}}]}, the
   * time in UTC as chrono's {@code %Y-%m-%d %H:%M:%S%.f} writes milliseconds.
   */
  public String nodeLeases() {
    ArrayNode leases = JSON.createArrayNode();
    for (ClusterView.NodeLease lease : view.datanodeLeases()) {
      ObjectNode entry = leases.addObject();
      entry.putObject("name").put("node_id", UnsignedLongJson.toBigInteger(lease.nodeId()));
      entry.put("human_time", humanTime(lease.lease().timestampMillis()));
      ObjectNode value = entry.putObject("lease");
      value.put("timestamp_millis", lease.lease().timestampMillis());
      value.put("node_addr", lease.lease().nodeAddr());
    }
    return leases.toString();
  }

  /** {@code [[Stat,...],...]}: each datanode's stored stats, or only arrays naming {@code addr}. */
  public String heartbeats(Optional<String> addr) {
    List<String> arrays = new ArrayList<>();
    for (KeyValue entry : view.kv().range(RangeRequest.prefix(ClusterKeys.datanodeStatPrefix()))
        .kvs()) {
      List<Stat> stats = Stat.decodeAll(entry.value());
      if (addr.isEmpty() || stats.stream().anyMatch(stat -> stat.addr().equals(addr.get()))) {
        arrays.add(new String(Stat.encodeAll(stats), StandardCharsets.UTF_8));
      }
    }
    return "[" + String.join(",", arrays) + "]";
  }

  static String humanTime(long millis) {
    long fraction = Math.floorMod(millis, 1000);
    String seconds = SECONDS.format(Instant.ofEpochMilli(millis));
    return fraction == 0 ? seconds : seconds + String.format(".%03d", fraction);
  }
}
