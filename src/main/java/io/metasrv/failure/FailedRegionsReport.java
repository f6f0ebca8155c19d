package io.metasrv.failure;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metasrv.metadata.RegionId;
import io.metasrv.metadata.UnsignedLongJson;
import java.util.List;

/** The failed region replicas as the admin route lists them. */
public final class FailedRegionsReport {
  private FailedRegionsReport() {}

  /**
   * {@code [{"datanode_id","region_id","table_id","region_number","phi",
   * "last_heartbeat_millis","failed_since_millis"}]}, by datanode and region; phi rounded to two
   * decimals, or {@code null} when it is not a finite number (a long silence makes it infinite,
   * which JSON cannot write).
   */
  public static String json(List<RegionSupervisor.FailedSince> failed) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (RegionSupervisor.FailedSince entry : failed) {
      DatanodeRegion region = entry.region().region();
      ObjectNode row = array.addObject();
      row.put("datanode_id", UnsignedLongJson.toBigInteger(region.datanodeId()));
      row.put("region_id", UnsignedLongJson.toBigInteger(region.regionId()));
      row.put("table_id", RegionId.tableId(region.regionId()));
      row.put("region_number", RegionId.regionNumber(region.regionId()));
      double phi = Math.rint(entry.region().phi() * 100) / 100;
      if (Double.isFinite(phi)) {
        row.put("phi", phi);
      } else {
        row.putNull("phi");
      }
      row.put("last_heartbeat_millis", entry.region().lastHeartbeatMillis());
      row.put("failed_since_millis", entry.sinceMillis());
    }
    return array.toString();
  }
}
