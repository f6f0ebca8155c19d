package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin route's list of failed regions. */
class FailedRegionsReportTest {

  @Test
  void datanodeAndRegionIdsAreWrittenUnsigned() {
    DatanodeRegion region = new DatanodeRegion(-1L, -1L); // u64::MAX both
    String json = FailedRegionsReport.json(List.of(
        new RegionSupervisor.FailedSince(new FailedRegion(region, 8.5, 1_000), 2_000)));

    assertThat(json).isEqualTo("[{\"datanode_id\":18446744073709551615,"
        + "\"region_id\":18446744073709551615,\"table_id\":4294967295,"
        + "\"region_number\":4294967295,\"phi\":8.5,\"last_heartbeat_millis\":1000,"
        + "\"failed_since_millis\":2000}]");
    assertThat(region).hasToString(
        "datanode 18446744073709551615 region 18446744073709551615(4294967295, 4294967295)");
  }
}
