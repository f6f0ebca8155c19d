package io.metasrv.failure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metasrv.config.FailureDetectorOptions;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The JSON of {@code /admin/failed-regions}, read back with a strict JSON parser. */
class FailedRegionsReportTest {
  private static final long REGION = 1024L << 32 | 1;
  private static final ObjectMapper STRICT = new ObjectMapper();

  @Test
  void phiIsRoundedToTwoDecimals() throws Exception {
    JsonNode rows = STRICT.readTree(FailedRegionsReport.json(List.of(new RegionSupervisor
        .FailedSince(new FailedRegion(new DatanodeRegion(7, REGION), 8.012869649581168, 100),
        200))));

    assertThat(rows.toString()).isEqualTo("[{\"datanode_id\":7,\"region_id\":4398046511105,"
        + "\"table_id\":1024,\"region_number\":1,\"phi\":8.01,\"last_heartbeat_millis\":100,"
        + "\"failed_since_millis\":200}]");
  }

  @Test
  void anInfinitePhiAfterALongSilenceIsNull() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000);
    RegionFailureDetectors detectors =
        new RegionFailureDetectors(FailureDetectorOptions.defaults(), clock::get);
    DatanodeRegion region = new DatanodeRegion(7, REGION);
    for (int beat = 0; beat < 1001; beat++) {
      detectors.heartbeat(region, clock.addAndGet(3_000));
    }
    long last = clock.get();
    clock.addAndGet(60_000);
    FailedRegion failed = detectors.failed().get(0);
    assertThat(failed.phi()).as("the normal tail underflows").isInfinite();

    String json = FailedRegionsReport.json(List.of(new RegionSupervisor.FailedSince(failed,
        clock.get())));

    JsonNode row = STRICT.readTree(json).get(0);
    assertThat(row.get("phi").isNull()).as(json).isTrue();
    assertThat(row.get("last_heartbeat_millis").asLong()).isEqualTo(last);
  }

  @Test
  void aPhiThatIsNotANumberIsNullToo() throws Exception {
    String json = FailedRegionsReport.json(List.of(
        new RegionSupervisor.FailedSince(new FailedRegion(new DatanodeRegion(7, REGION),
            Double.NaN, 100), 200),
        new RegionSupervisor.FailedSince(new FailedRegion(new DatanodeRegion(8, REGION),
            Double.POSITIVE_INFINITY, 100), 200)));

    JsonNode rows = STRICT.readTree(json);
    assertThat(rows).hasSize(2);
    assertThat(rows).allSatisfy(row -> assertThat(row.get("phi").isNull()).isTrue());
  }

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
